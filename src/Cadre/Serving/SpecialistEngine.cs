using System.Collections.Concurrent;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tasks;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>
/// The serving engine behind <c>cadre serve</c>: every specialist of a home over one shared copy of each base, an
/// <see cref="AdapterPool"/> of hot adapters, and one <see cref="Batcher"/> per base that runs concurrent requests
/// for different specialists through one forward pass. Routers share the base too: their embeddings are bare-base
/// rows in the same batches.
/// </summary>
public sealed partial class SpecialistEngine : ISpecialistService
{
    private readonly string _home;
    private readonly AdapterPool _pool;
    private readonly ConcurrentDictionary<string, Lazy<(ServingBase Base, Batcher Batcher)>> _bases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<SpecialistRouter>> _routers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Requests, long Inputs)> _usage = new(StringComparer.Ordinal);
    private long _requests;
    private volatile bool _draining;

    public SpecialistEngine(string home, ServingOptions options)
    {
        if (options.Validate() is { Count: > 0 } errors)
            throw new CadreException("serving options: " + string.Join("; ", errors));
        _home = home;
        Options = options;
        _pool = new AdapterPool(home, options, (record, specialist) => BaseOf(BaseNameOf(record), specialist).Base);
        _registered = new RegisteredSpecialists(home);
    }

    private readonly RegisteredSpecialists _registered;

    private readonly ConcurrentDictionary<(string Name, string Content), string> _baseByContent = new();

    /// <summary>
    /// The base a specialist runs on: the one holding the content it was trained on, under its recorded name or another
    /// (a base added with <c>cadre bundle apply --base-name</c>), as <c>cadre predict</c> resolves it. A failed look-up is
    /// not cached, so a base imported while serving is found by the next request.
    /// </summary>
    private string BaseNameOf(SpecialistRecord record) => BaseNameOf(record.Name, record.Contract.Base);

    private string BaseNameOf(string specialist, BaseReference trainedOn) => _baseByContent.GetOrAdd((trainedOn.Name, trainedOn.ContentHash), key =>
    {
        BaseRecord found;
        try { found = new BaseCatalog(_home).ForContent(key.Name, key.Content); }
        catch (CadreException e) { throw new ServingException(ServingErrorKind.Unavailable, e.Message); }
        return found.ContentHash == key.Content ? found.Name
            : throw new ServingException(ServingErrorKind.Unavailable,
                $"specialist '{specialist}' was trained on base '{key.Name}' with content {key.Content[..Math.Min(12, key.Content.Length)]}, "
                + $"but that base here holds {found.ContentHash[..12]} and no base holds the original; import it (cadre base import ... --name NEW)");
    });

    public ServingOptions Options { get; }

    /// <summary>The shared base <paramref name="name"/> (or, for the one-model-per-specialist baseline, the specialist's own copy).</summary>
    private (ServingBase Base, Batcher Batcher) BaseOf(string name, string? specialist = null) =>
        _bases.GetOrAdd(Options.OneModelPerSpecialist && specialist is not null ? $"{name}/{specialist}" : name,
                        _ => new Lazy<(ServingBase, Batcher)>(() =>
        {
            var b = OutsideCallerScope.Build(() => new ServingBase(_home, name));
            return (b, new Batcher(b, Options, Released));
        })).Value;

    private void Released(WorkItem item)
    {
        if (item.Specialist is { } s) _pool.Release(s);
    }

    public async Task<IReadOnlyList<TaskPredictions>> PredictAsync(string name, IReadOnlyList<string> inputs, string? task, CancellationToken cancel)
    {
        CheckInputs(inputs);
        using var timeout = Deadline(cancel);
        try
        {
            var served = await _pool.AcquireAsync(name, timeout.Token);
            InferenceTask? chosen = null;
            try
            {
                chosen = task is null ? null : served.Contract.Tasks.FirstOrDefault(t => t.Name == task)
                    ?? throw new ServingException(ServingErrorKind.BadRequest, $"{name} has no task '{task}'; its tasks: {string.Join(", ", served.Contract.Tasks.Select(t => t.Name))}");
            }
            catch { _pool.Release(served); throw; }
            IReadOnlyList<TaskPredictions> tasks;
            if (served.Dedicated is { } own)
            {
                tasks = await RunDedicated(served, own, inputs, chosen, timeout.Token);
            }
            else
            {
                var heads = served.Heads.Where(h => chosen is null || h.Task.Name == chosen.Name).ToList();
                var lengths = heads.Select(h => h.Task.MaxLength).Distinct().ToList();
                var item = new WorkItem(served, inputs, lengths, w => new PredictResult(Heads(w, heads)), timeout);
                tasks = ((PredictResult)await Submit(BaseOf(BaseNameOf(served.Name, served.Contract.Base), served.Name).Batcher, item, timeout.Token)).Tasks;
            }
            CountServed(name, inputs.Count);
            return tasks;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw TimedOut();
        }
        catch (NonFiniteOutputException e)
        {
            throw new ServingException(ServingErrorKind.NonFiniteOutput, e.Message);
        }
    }

    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> inputs, string? specialist, CancellationToken cancel)
    {
        CheckInputs(inputs);
        using var timeout = Deadline(cancel);
        try
        {
            if (specialist is null)
            {
                var baseName = DefaultBase();
                return Finite(await BaseRows(baseName, inputs, null, timeout), $"base '{baseName}'");
            }
            var served = await _pool.AcquireAsync(specialist, timeout.Token);
            var length = served.MaxLengths.Max();
            float[][] rows;
            if (served.Dedicated is { } own)
            {
                try
                {
                    lock (own) // the model of a full fine-tune answers one call at a time (as RunDedicated)
                    {
                        using var scope = NewDisposeScope();
                        rows = Rows(own.Features(inputs));
                    }
                }
                finally
                {
                    _pool.Release(served);
                }
            }
            else
            {
                var item = new WorkItem(served, inputs, [length], w => w.Features[length], timeout);
                rows = (float[][])await Submit(BaseOf(BaseNameOf(served.Name, served.Contract.Base), served.Name).Batcher, item, timeout.Token);
            }
            Finite(rows, $"specialist '{specialist}'");
            CountServed(specialist, inputs.Count);
            return rows;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw TimedOut();
        }
    }

    /// <summary>Bare-base features of texts on base <paramref name="baseName"/>, cut to <paramref name="maxLength"/> tokens.</summary>
    private async Task<float[][]> BaseRows(string baseName, IReadOnlyList<string> inputs, int? maxLength, RequestDeadline deadline)
    {
        var length = maxLength ?? AdapterFeatures.DefaultMaxLength;
        var item = new WorkItem(null, inputs, [length], w => w.Features[length], deadline);
        return (float[][])await Submit(BaseOf(baseName).Batcher, item, deadline.Token);
    }

    /// <summary>
    /// Features with a NaN or an infinity come from broken weights (of a specialist, or of the base itself): refused,
    /// never answered (JSON has no NaN, and a NaN read as a probability of 0 is a silent wrong answer).
    /// </summary>
    private static float[][] Finite(float[][] rows, string source)
    {
        foreach (var row in rows)
            foreach (var v in row)
                if (!float.IsFinite(v))
                    throw new ServingException(ServingErrorKind.NonFiniteOutput,
                        $"{source} produces non-finite features (NaN or infinity): its weights are broken; re-import or retrain it");
        return rows;
    }

    private async Task<object> Submit(Batcher batcher, WorkItem item, CancellationToken cancel)
    {
        if (_draining)
        {
            Released(item);
            throw new ServingException(ServingErrorKind.Unavailable, "the server is draining for shutdown");
        }
        try
        {
            batcher.Enqueue(item);
        }
        catch
        {
            Released(item);
            throw;
        }
        Interlocked.Increment(ref _requests);
        return await item.Done.Task.WaitAsync(cancel);
    }

    private static List<TaskPredictions> Heads(WorkItem item, IReadOnlyList<(InferenceTask Task, ClassifierHead Head)> heads)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var result = new List<TaskPredictions>();
        foreach (var (task, head) in heads)
        {
            var rows = item.Features[task.MaxLength];
            var x = tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, -1); // (N, D)
            var outputs = TaskObjective.For(task.Kind, task.Labels).Rows(head, x);
            result.Add(new TaskPredictions(task, SpecialistModel.Describe(item.Specialist!.Name, task, item.Texts, outputs)));
        }
        return result;
    }

    private async Task<IReadOnlyList<TaskPredictions>> RunDedicated(ServedSpecialist served, SpecialistModel own, IReadOnlyList<string> inputs,
                                                                    InferenceTask? task, CancellationToken cancel)
    {
        try
        {
            return await Task.Run(() =>
            {
                lock (own)
                {
                    cancel.ThrowIfCancellationRequested();
                    var all = own.PredictAll(inputs);
                    return (IReadOnlyList<TaskPredictions>)[.. all.Where(t => task is null || t.Task.Name == task.Name)];
                }
            }, cancel);
        }
        finally
        {
            _pool.Release(served);
        }
    }

    private static float[][] Rows(Tensor x)
    {
        var values = x.contiguous().data<float>().ToArray();
        var width = (int)x.shape[1];
        return [.. Enumerable.Range(0, (int)x.shape[0]).Select(i => values.AsSpan(i * width, width).ToArray())];
    }

    private void CheckInputs(IReadOnlyList<string> inputs)
    {
        if (inputs.Count == 0)
            throw new ServingException(ServingErrorKind.BadRequest, "inputs is empty: send at least one text");
        if (inputs.Count > Options.MaxInputs)
            throw new ServingException(ServingErrorKind.TooLarge, $"{inputs.Count} inputs; at most {Options.MaxInputs} per request");
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null)
                throw new ServingException(ServingErrorKind.BadRequest, $"inputs[{i}] is null");
            if (inputs[i].Length > Options.MaxInputChars)
                throw new ServingException(ServingErrorKind.TooLarge, $"inputs[{i}] has {inputs[i].Length} characters; at most {Options.MaxInputChars}");
        }
        if (_draining)
            throw new ServingException(ServingErrorKind.Unavailable, "the server is draining for shutdown");
    }

    private RequestDeadline Deadline(CancellationToken cancel) => new(cancel, Options.RequestTimeout);

    private ServingException TimedOut() =>
        new(ServingErrorKind.Timeout, $"the request took longer than {Options.RequestTimeout.TotalSeconds:0.###} s");

    /// <summary>Counts a request of a specialist once it is answered: refused, timed-out and failed ones are not served.</summary>
    internal void CountServed(string name, int inputs) =>
        _usage.AddOrUpdate(name, (1, inputs), (_, u) => (u.Requests + 1, u.Inputs + inputs));
}
