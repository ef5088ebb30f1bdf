using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Store;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>Routing, the catalogue views, loading and unloading, counters and shutdown.</summary>
public sealed partial class SpecialistEngine
{
    public async Task<IReadOnlyList<RouteDecision>> RouteAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel)
    {
        CheckInputs(inputs);
        var chosen = Router(router ?? RouterRecord.DefaultName);
        using var timeout = Deadline(cancel);
        try
        {
            var rows = Finite(await BaseRows(chosen.Record.Base.Name, inputs, chosen.Record.MaxLength, timeout), $"base '{chosen.Record.Base.Name}'");
            using var scope = NewDisposeScope();
            var x = tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, -1); // (N, D)
            return chosen.Decide(inputs, x);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw TimedOut();
        }
    }

    public async Task<IReadOnlyList<Answer>> AskAsync(IReadOnlyList<string> inputs, string? router, CancellationToken cancel)
    {
        var decisions = await RouteAsync(inputs, router, cancel);
        var predictions = new Prediction?[inputs.Count];
        // One request per chosen specialist, all queued at once so that they share batches.
        var groups = decisions.Select((d, i) => (d.Specialist, Index: i)).Where(p => p.Specialist is not null)
                              .GroupBy(p => p.Specialist!, StringComparer.Ordinal)
                              .Select(async g =>
                              {
                                  var rows = g.Select(p => p.Index).ToList();
                                  var tasks = await PredictAsync(g.Key, [.. rows.Select(i => inputs[i])], null, cancel);
                                  for (var k = 0; k < rows.Count; k++) predictions[rows[k]] = tasks[0].Predictions[k];
                              });
        await Task.WhenAll(groups);
        return [.. decisions.Select((d, i) => new Answer(d, predictions[i]))];
    }

    private SpecialistRouter Router(string name)
    {
        try
        {
            var lazy = _routers.GetOrAdd(name, n => new Lazy<SpecialistRouter>(() => OutsideCallerScope.Build(() => SpecialistRouter.Load(_home, n, withBase: false))));
            return lazy.Value;
        }
        catch (CadreException e)
        {
            _routers.TryRemove(name, out _);
            throw new ServingException(new RouterCatalog(_home).List().Count == 0 ? ServingErrorKind.Unavailable : ServingErrorKind.NotFound,
                                       e.Message + " (build one with: cadre router build)");
        }
    }

    /// <summary>The base that bare embeddings use: the default router's, else the only base, else the first specialist's.</summary>
    private string DefaultBase()
    {
        var routers = new RouterCatalog(_home).List();
        if (routers.FirstOrDefault(r => r.Name == RouterRecord.DefaultName) is { } router) return router.Base.Name;
        var bases = new BaseCatalog(_home).List();
        if (bases.Count == 1) return bases[0].Name;
        var specialists = new SpecialistCatalog(_home).List();
        if (specialists.Count > 0) return specialists[0].Base.Name;
        throw new ServingException(ServingErrorKind.Unavailable,
            bases.Count == 0 ? "no base imported (cadre base import)" : "several bases and no specialist: name a specialist to embed with");
    }

    /// <summary>Every registered specialist (records and HEAD versions as <see cref="RegisteredSpecialists"/> caches them; what the pool holds is live).</summary>
    public IReadOnlyList<SpecialistStatus> List() => [.. _registered.All.Select(r => StatusOf(r.Record, r.Head))];

    /// <summary>One specialist's status from the same cache, without building everyone's (the predict endpoint asks per request).</summary>
    public SpecialistStatus? Status(string name) => _registered.Find(name) is { } r ? StatusOf(r.Record, r.Head) : null;

    public SpecialistDetail Describe(string name)
    {
        var catalog = new SpecialistCatalog(_home);
        (SpecialistRecord Record, VersionInfo Version) head;
        try { head = catalog.GetVersion(name); }
        catch (CadreException e) { throw new ServingException(ServingErrorKind.NotFound, e.Message); }
        var tags = catalog.Store.Tags(name).ToLookup(t => t.Id, t => t.Name);
        var versions = catalog.Store.Log(head.Version, 50)
            .Select(v => new VersionSummary(v.Number, v.Id, v.Record.Message, v.Record.CreatedAt, [.. tags[v.Id]])).ToList();
        var lineage = head.Record.Merge is { } m
            ? new LineageSummary(m.Method, [.. m.Inputs.Select(i => i.VersionNumber is { } n ? $"{i.Name}@{n}" : i.Name)])
            : null;
        var labels = head.Record.TaskList.SelectMany(t => t.Labels).Distinct().ToList();
        return new SpecialistDetail(StatusOf(head.Record, head.Version), labels, versions, lineage);
    }

    private SpecialistStatus StatusOf(SpecialistRecord record, VersionInfo? version)
    {
        version ??= new SpecialistCatalog(_home).Store.Head(record.Name);
        var hot = _pool.Hot(record.Name);
        var usage = _usage.GetValueOrDefault(record.Name);
        var metrics = record.TaskList.SelectMany(t => t.Metrics.GetValueOrDefault("test") ?? t.Metrics.Values.FirstOrDefault()
                                                       ?? new Dictionary<string, double>(),
                                                 (t, m) => (Key: record.TaskList.Count > 1 ? $"{t.Name}.{m.Key}" : m.Key, m.Value))
                                     .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value);
        return new SpecialistStatus(record.Name, record.Method, record.Base.Name, [.. record.TaskList.Select(t => t.Name)],
                                    version?.Number ?? 0, version?.Id ?? "", hot?.Version.Number, hot is not null,
                                    usage.Requests, usage.Inputs, hot?.Bytes ?? 0, metrics);
    }

    public async Task<SpecialistStatus> LoadAsync(string name, string? rev, CancellationToken cancel)
    {
        var served = await _pool.LoadAsync(name, rev, cancel);
        return StatusOf(served.Record, served.Version);
    }

    public bool Unload(string name) => _pool.Unload(name);

    public ServingStats Stats()
    {
        // Requests add to these dictionaries while we read them. LINQ over a live ConcurrentDictionary reads its Count,
        // then copies into an array of that size, and throws when a first request adds an entry in between (it once
        // stopped the server through the throughput sampler); ToArray and Values take every lock at once: a snapshot.
        var batchers = _bases.Values.Where(l => l.IsValueCreated).Select(l => l.Value.Batcher).ToList();
        var sizes = new Dictionary<int, long>();
        foreach (var b in batchers)
            foreach (var (size, n) in b.BatchSizes.ToArray())
                sizes[size] = sizes.GetValueOrDefault(size) + n;
        var top = _usage.ToArray().OrderByDescending(u => u.Value.Inputs).ThenBy(u => u.Key, StringComparer.Ordinal).Take(10)
                        .Select(u => (u.Key, u.Value.Inputs)).ToList();
        return new ServingStats(batchers.Sum(b => Interlocked.Read(ref b.Batches)), batchers.Sum(b => Interlocked.Read(ref b.Rows)),
                                Interlocked.Read(ref _requests), batchers.Sum(b => b.QueuedRows), Options.QueueCapacity, _pool.HotCount,
                                _registered.All.Count, _pool.Bytes, Options.PoolBudgetBytes,
                                Interlocked.Read(ref _pool.Loads), Interlocked.Read(ref _pool.Evictions), sizes, top);
    }

    public async Task DrainAsync(CancellationToken cancel)
    {
        _draining = true;
        var batchers = _bases.Values.Where(l => l.IsValueCreated).Select(l => l.Value.Batcher).ToList();
        foreach (var b in batchers) b.Complete();
        await Task.Run(() => { foreach (var b in batchers) while (!b.WaitIdle(TimeSpan.FromMilliseconds(100))) cancel.ThrowIfCancellationRequested(); }, cancel);
    }

    public bool Draining => _draining;

    /// <summary>Each started batcher's measured service rate (rows/s; null before its first batch).</summary>
    internal IReadOnlyList<double?> ServiceRates => [.. _bases.Values.Where(l => l.IsValueCreated).Select(l => l.Value.Batcher.RowsPerSecond)];

    /// <summary>Forward passes of the base so far (a batch takes one per distinct max_length).</summary>
    internal long Passes => _bases.Values.Where(l => l.IsValueCreated).Sum(l => Interlocked.Read(ref l.Value.Batcher.Passes));

    /// <summary>The shared bases started so far (tests check that nothing is ever attached to them).</summary>
    internal IReadOnlyList<ServingBase> StartedBases => [.. _bases.Values.Where(l => l.IsValueCreated).Select(l => l.Value.Base)];

    /// <summary>Tensors alive on the batchers' threads (a leak test watches it stay flat).</summary>
    internal long WorkerLiveTensors => _bases.Values.Where(l => l.IsValueCreated).Sum(l => l.Value.Batcher.WorkerLiveTensors);

    public async ValueTask DisposeAsync()
    {
        if (!_draining)
            await DrainAsync(CancellationToken.None);
        foreach (var lazy in _bases.Values.Where(l => l.IsValueCreated))
            lazy.Value.Batcher.Dispose();
        _pool.Dispose();
        foreach (var lazy in _routers.Values.Where(l => l.IsValueCreated)) lazy.Value.Dispose();
        foreach (var lazy in _bases.Values.Where(l => l.IsValueCreated)) lazy.Value.Base.Dispose();
    }
}
