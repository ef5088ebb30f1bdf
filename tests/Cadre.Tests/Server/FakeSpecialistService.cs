using System.Collections.Concurrent;
using Cadre.Data;
using Cadre.Routing;
using Cadre.Serving;
using Cadre.Specialists;

namespace Cadre.Tests.Server;

/// <summary>
/// A hand-written <see cref="ISpecialistService"/> for the HTTP tests: four specialists (two classifiers, a multilabel
/// one, and a merge of the first two), deterministic answers, and switches that make every call throw a chosen
/// <see cref="ServingException"/>, hold until released or cancelled, or report the cancellation it observed.
/// </summary>
internal sealed class FakeSpecialistService(ServingOptions? options = null) : ISpecialistService
{
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly ConcurrentDictionary<string, int> _loaded = new(StringComparer.Ordinal) { ["spam"] = 2 };
    private long _requests, _rows;
    private int _inFlight;

    public ServingOptions Options { get; } = options ?? new ServingOptions();

    /// <summary>Thrown by every work call (predict, embed, route, ask, load) when set.</summary>
    public Exception? Fail { get; set; }

    /// <summary>Thrown by <see cref="Stats"/> when set (a bug in reading the counters, as the sampler and /metrics meet it).</summary>
    public Exception? StatsFail { get; set; }

    /// <summary>When set, work calls wait for it (or for their cancellation) before answering.</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Completes when a work call starts waiting on <see cref="Hold"/>.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a held call saw its cancellation token fire.</summary>
    public TaskCompletionSource CancellationObserved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, <see cref="DrainAsync"/> waits for it after marking the service draining.</summary>
    public TaskCompletionSource? DrainGate { get; set; }

    public bool Draining { get; private set; }

    public string? LastTask { get; private set; }
    public string? LastRouter { get; private set; }
    public string? LastRevision { get; private set; }

    public int Calls(string method) => _calls.GetValueOrDefault(method);

    private static readonly (string Name, string Method, string Kind, string[] Labels, string[] Tasks)[] Registry =
    [
        ("spam", "lora", "classification", ["ham", "spam"], ["spam"]),
        ("era", "ia3", "classification", ["early", "modern"], ["era"]),
        ("topics", "head", "multilabel", ["money", "sports", "tech"], ["topics"]),
        ("spam-era", "ties", "classification", ["ham", "spam"], ["spam", "era"]),
    ];

    public IReadOnlyList<SpecialistStatus> List()
    {
        Count();
        return [.. Registry.Select(r => Status(r.Name))];
    }

    public SpecialistDetail Describe(string name)
    {
        Count();
        var r = Find(name);
        var versions = new List<VersionSummary>
        {
            new(2, "b2c3d4", "retrain with more rows", DateTimeOffset.Parse("2025-01-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), ["prod"]),
            new(1, "a1b2c3", "first", DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), []),
        };
        var lineage = r.Name == "spam-era" ? new LineageSummary("ties", ["spam@2", "era@1"]) : null;
        return new SpecialistDetail(Status(name), r.Labels, versions, lineage);
    }

    public async Task<IReadOnlyList<TaskPredictions>> PredictAsync(string name, IReadOnlyList<string> inputs, string? task, CancellationToken cancel)
    {
        var r = Find(name);
        await Work(inputs.Count, cancel);
        LastTask = task;
        if (task is not null && !r.Tasks.Contains(task))
            throw new ServingException(ServingErrorKind.BadRequest, $"specialist '{name}' has no task '{task}'");
        return [.. r.Tasks.Where(t => task is null || t == task).Select(t => new TaskPredictions(TaskOf(t, r.Kind, r.Labels),
            [.. inputs.Select(text => PredictionOf(text, r.Kind, r.Labels))]))];
    }

    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> inputs, string? specialist, CancellationToken cancel)
    {
        await Work(inputs.Count, cancel);
        if (specialist is not null)
            Find(specialist);
        return [.. inputs.Select(t => new float[] { t.Length, specialist is null ? 0 : 1, 0.5f })];
    }

    public async Task<IReadOnlyList<RouteDecision>> RouteAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel)
    {
        await Work(inputs.Count, cancel);
        LastRouter = router;
        if (router is not null && router != "default")
            throw new ServingException(ServingErrorKind.NotFound, $"no router '{router}'");
        return [.. inputs.Select(Decide)];
    }

    public async Task<IReadOnlyList<Answer>> AskAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel)
    {
        var decisions = await RouteAsync(inputs, router, cancel);
        return [.. decisions.Select(d => new Answer(d, d.Specialist is { } s ? PredictionOf(d.Text, Find(s).Kind, Find(s).Labels) : null))];
    }

    public async Task<SpecialistStatus> LoadAsync(string name, string? rev, CancellationToken cancel)
    {
        await Work(0, cancel);
        Find(name);
        LastRevision = rev;
        if (rev is not null && rev != "1" && rev != "2" && rev != "prod")
            throw new ServingException(ServingErrorKind.NotFound, $"specialist '{name}' has no version '{rev}'");
        _loaded[name] = rev is "1" ? 1 : 2;
        return Status(name);
    }

    public bool Unload(string name)
    {
        Count();
        return _loaded.TryRemove(name, out _);
    }

    public ServingStats Stats()
    {
        Count();
        if (StatsFail is { } fail)
            throw fail;
        var rows = Interlocked.Read(ref _rows);
        return new ServingStats(Interlocked.Read(ref _requests), rows, Interlocked.Read(ref _requests), Volatile.Read(ref _inFlight),
            Options.QueueCapacity, _loaded.Count, Registry.Length, 1000L * _loaded.Count, Options.PoolBudgetBytes, 3, 1,
            new Dictionary<int, long> { [1] = 5, [8] = 2 }, [("spam", 40), ("era", 7)]);
    }

    public async Task DrainAsync(CancellationToken cancel)
    {
        Count();
        Draining = true;
        if (DrainGate is { } gate)
            await gate.Task.WaitAsync(cancel);
        while (Volatile.Read(ref _inFlight) > 0)
            await Task.Delay(10, cancel);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Count([System.Runtime.CompilerServices.CallerMemberName] string method = "") => _calls.AddOrUpdate(method, 1, (_, n) => n + 1);

    private async Task Work(int rows, CancellationToken cancel, [System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        Count(method);
        if (Fail is { } fail)
            throw fail;
        Interlocked.Increment(ref _inFlight);
        try
        {
            if (Hold is { } hold)
            {
                Entered.TrySetResult();
                try
                {
                    await hold.Task.WaitAsync(cancel);
                }
                catch (OperationCanceledException)
                {
                    CancellationObserved.TrySetResult();
                    throw;
                }
            }
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _rows, rows);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static (string Name, string Method, string Kind, string[] Labels, string[] Tasks) Find(string name) =>
        Registry.FirstOrDefault(r => r.Name == name) is { Name: not null } r ? r
            : throw new ServingException(ServingErrorKind.NotFound, $"no specialist '{name}'");

    private SpecialistStatus Status(string name)
    {
        var r = Find(name);
        int? loaded = _loaded.TryGetValue(name, out var v) ? v : null;
        return new SpecialistStatus(r.Name, r.Method, "use-lite", r.Tasks, 2, "b2c3d4", loaded, loaded is not null, 40, 120, 4096,
            new Dictionary<string, double> { ["accuracy"] = 0.91, ["macro_f1"] = 0.9, ["broken"] = double.NaN });
    }

    private static InferenceTask TaskOf(string name, string kind, string[] labels)
    {
        var taskKind = Enum.Parse<TaskKind>(kind, ignoreCase: true);
        return new()
        {
            Name = name, Kind = taskKind, Labels = labels, Head = "head.safetensors", Outputs = InferenceTask.OutputsFor(taskKind, labels), MaxLength = 128,
        };
    }

    /// <summary>Texts mentioning "win" are spam / money; the rest ham. Deterministic, so answers can be asserted.</summary>
    private static Prediction PredictionOf(string text, string kind, string[] labels)
    {
        var first = text.Contains("win", StringComparison.OrdinalIgnoreCase);
        var p = labels.Select((l, i) => (l, i == (first ? labels.Length - 1 : 0) ? 0.8 : 0.2 / (labels.Length - 1))).ToDictionary(x => x.l, x => x.Item2);
        var label = p.MaxBy(x => x.Value).Key;
        return kind == "multilabel"
            ? new Prediction(text, label, p) { Labels = [label] }
            : new Prediction(text, label, p);
    }

    private static RouteDecision Decide(string text)
    {
        if (text.Contains("???", StringComparison.Ordinal))
            return new RouteDecision(text, null, "era", 0.4, 0.1, 0.5, new Dictionary<string, double> { ["spam"] = 0.3, ["era"] = 0.4, ["topics"] = 0.3 });
        var spam = text.Contains("win", StringComparison.OrdinalIgnoreCase);
        var scores = spam
            ? new Dictionary<string, double> { ["spam"] = 0.85, ["era"] = 0.1, ["topics"] = 0.05 }
            : new Dictionary<string, double> { ["spam"] = 0.1, ["era"] = 0.8, ["topics"] = 0.1 };
        var best = scores.MaxBy(s => s.Value).Key;
        return new RouteDecision(text, best, best, scores[best], 0.9, double.NegativeInfinity, scores);
    }
}
