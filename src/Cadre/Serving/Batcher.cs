using System.Collections.Concurrent;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>
/// The dynamic batcher of one base: requests queue here; one worker thread takes the first, waits up to
/// <see cref="ServingOptions.MaxBatchWait"/> for more (up to <see cref="ServingOptions.MaxBatchRows"/> rows), and
/// runs the rows through the base in as few passes as the rows allow: one pass per distinct (max_length, soft
/// prompt length) whatever the mix of specialists, since adapters are gathered per row. A large request spans
/// batches. The queue is bounded in rows: beyond <see cref="ServingOptions.QueueCapacity"/> a request is refused
/// at once (429), never buffered, and so is one whose rows cannot be served before its deadline at the measured
/// rate (<see cref="Admission"/>). A cancelled request is dropped before its rows cost a pass.
/// </summary>
internal sealed class Batcher : IDisposable
{
    private readonly ServingBase _base;
    private readonly ServingOptions _options;
    private readonly BlockingCollection<WorkItem> _incoming = new();
    private readonly LinkedList<(WorkItem Item, int MaxLength, int Index)> _pending = new();
    private readonly Thread _worker;
    private readonly Action<WorkItem> _released;
    private readonly ServiceRate _rate = new();
    private long? _busySince; // end of the last batch when work was left waiting: the gap until the next counts as serving
    private int _queuedRows;

    public Batcher(ServingBase servingBase, ServingOptions options, Action<WorkItem> released)
    {
        _base = servingBase;
        _options = options;
        _released = released;
        _worker = new Thread(Run) { IsBackground = true, Name = $"cadre-batcher-{servingBase.Name}" };
        _worker.Start();
    }

    public int QueuedRows => Volatile.Read(ref _queuedRows);

    /// <summary>Rows per second served while busy (exponentially weighted), or null before the first batch.</summary>
    public double? RowsPerSecond => _rate.RowsPerSecond;
    public long Batches;
    public long Rows;
    public long Passes;
    public readonly ConcurrentDictionary<int, long> BatchSizes = new();

    /// <summary>Tensors alive on the worker thread after its last batch: flat while serving, or something leaks.</summary>
    public long WorkerLiveTensors => Interlocked.Read(ref _workerLive);
    private long _workerLive;

    /// <summary>
    /// Queues a request, or throws <see cref="ServingErrorKind.Overloaded"/> when its rows do not fit in the queue or
    /// cannot be served before its deadline (<see cref="Admission"/>).
    /// </summary>
    public void Enqueue(WorkItem item)
    {
        // Reserve first, then judge with the rows reserved ahead: concurrent callers never both take the last room.
        var ahead = Interlocked.Add(ref _queuedRows, item.Rows) - item.Rows;
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), item.Deadline);
        if (Admission.Check(ahead, item.Rows, _options.QueueCapacity, _rate.RowsPerSecond, left) is { } refusal)
        {
            Interlocked.Add(ref _queuedRows, -item.Rows);
            throw refusal;
        }
        try
        {
            _incoming.Add(item);
        }
        catch (InvalidOperationException)
        {
            Interlocked.Add(ref _queuedRows, -item.Rows);
            throw new ServingException(ServingErrorKind.Unavailable, "the server is shutting down");
        }
    }

    /// <summary>Stops taking requests; the worker finishes what is queued, then exits.</summary>
    public void Complete() => _incoming.CompleteAdding();

    public bool WaitIdle(TimeSpan timeout) => _worker.Join(timeout);

    private void Run()
    {
        if (_options.Threads > 0) set_num_threads(_options.Threads);
        while (true)
        {
            if (_pending.Count == 0)
            {
                if (!_incoming.TryTake(out var first, Timeout.Infinite))
                    return; // completed and drained
                Add(first);
                var deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxBatchWait.TotalSeconds * Stopwatch.Frequency);
                while (_pending.Count < _options.MaxBatchRows)
                {
                    var left = (int)Math.Max(0, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
                    if (!_incoming.TryTake(out var more, left)) break;
                    Add(more);
                }
            }
            while (_pending.Count < _options.MaxBatchRows && _incoming.TryTake(out var ready))
                Add(ready);
            RunBatch();
            Interlocked.Exchange(ref _workerLive, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }

    private void Add(WorkItem item)
    {
        foreach (var (m, i) in item.AllRows())
            _pending.AddLast((item, m, i));
    }

    private void RunBatch()
    {
        // Take up to MaxBatchRows live rows; rows of cancelled requests are dropped without a pass.
        var batch = new List<(WorkItem Item, int MaxLength, int Index)>();
        while (batch.Count < _options.MaxBatchRows && _pending.First is { } node)
        {
            _pending.RemoveFirst();
            var row = node.Value;
            if (row.Item.Cancel.IsCancellationRequested || row.Item.Done.Task.IsCompleted)
            {
                Drop(row.Item);
                continue;
            }
            batch.Add(row);
        }
        if (batch.Count == 0) { _busySince = null; return; }
        Interlocked.Increment(ref Batches);
        Interlocked.Add(ref Rows, batch.Count);
        BatchSizes.AddOrUpdate(batch.Count, 1, (_, n) => n + 1);
        // Passes: one per distinct max_length (texts are cut before the base runs); any mix of adapters and prompts
        // shares it. Splitting per adapter is the benchmark's baseline only.
        var passes = batch.GroupBy(r => (r.MaxLength, Split: _options.SplitPerAdapter ? r.Item.Specialist?.Name : null));
        // Serving time runs from the end of the previous batch when work was waiting then (collecting rows, the scheduler
        // giving the worker the CPU: the rate a backlog really drains at), else from now (idle time and batching waits
        // are not serving).
        var clock = _busySince ?? Stopwatch.GetTimestamp();
        var served = 0;
        foreach (var pass in passes)
        {
            Interlocked.Increment(ref Passes);
            var rows = pass.ToList();
            try
            {
                using var scope = NewDisposeScope();
                var features = _base.Forward([.. rows.Select(r => r.Item.Texts[r.Index])], [.. rows.Select(r => r.Item.Specialist)],
                                             pass.Key.MaxLength);                               // (B, D)
                var values = features.contiguous().data<float>().ToArray();
                var width = (int)features.shape[1];
                served += rows.Count;
                for (var k = 0; k < rows.Count; k++)
                {
                    var (item, m, i) = rows[k];
                    if (item.Done.Task.IsCompleted) continue; // dropped meanwhile (a failed pass); its rows are uncounted
                    item.Features[m][i] = values.AsSpan(k * width, width).ToArray();
                    item.Remaining--;
                    Interlocked.Decrement(ref _queuedRows);
                    if (item.Remaining == 0) Complete(item);
                }
            }
            catch (Exception e)
            {
                foreach (var item in rows.Select(r => r.Item).Distinct())
                {
                    item.Done.TrySetException(e);
                    Drop(item);
                }
            }
        }
        _rate.Record(served, Stopwatch.GetElapsedTime(clock));
        _busySince = _pending.Count > 0 || _incoming.Count > 0 ? Stopwatch.GetTimestamp() : null;
    }

    private void Complete(WorkItem item)
    {
        try
        {
            item.Done.TrySetResult(item.Finish(item));
        }
        catch (Exception e)
        {
            item.Done.TrySetException(e);
        }
        _released(item);
    }

    /// <summary>Removes a request's remaining rows from the queue and releases it.</summary>
    private void Drop(WorkItem item)
    {
        for (var node = _pending.First; node is not null;)
        {
            var next = node.Next;
            if (ReferenceEquals(node.Value.Item, item)) _pending.Remove(node);
            node = next;
        }
        // Every row not yet answered is still counted in the queue, wherever it is now.
        Interlocked.Add(ref _queuedRows, -item.Remaining);
        item.Remaining = 0;
        if (!item.Done.Task.IsCompleted)
            item.Done.TrySetCanceled(item.Cancel.IsCancellationRequested ? item.Cancel : new CancellationToken(true));
        _released(item);
    }

    public void Dispose()
    {
        _incoming.CompleteAdding();
        _worker.Join(TimeSpan.FromSeconds(10));
        _incoming.Dispose();
    }
}
