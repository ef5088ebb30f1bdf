using System.Diagnostics;
using Cadre.Specialists;

namespace Cadre.Serving;

/// <summary>
/// One request waiting for the base: its texts, the specialist whose adapter they read (null: the bare base, for
/// embeddings and routing), and the max_length of each pass it needs (a merged specialist's tasks may differ).
/// The batcher fills <see cref="Features"/> row by row, possibly across batches, then finishes the request.
/// </summary>
internal sealed class WorkItem
{
    public WorkItem(ServedSpecialist? specialist, IReadOnlyList<string> texts, IReadOnlyList<int> maxLengths,
                    Func<WorkItem, object> finish, RequestDeadline deadline)
    {
        Specialist = specialist;
        Texts = texts;
        MaxLengths = maxLengths;
        Finish = finish;
        Cancel = deadline.Token;
        Deadline = deadline.At;
        Features = maxLengths.ToDictionary(m => m, _ => new float[texts.Count][]);
        Remaining = texts.Count * maxLengths.Count;
    }

    public ServedSpecialist? Specialist { get; }
    public IReadOnlyList<string> Texts { get; }
    public IReadOnlyList<int> MaxLengths { get; }

    /// <summary>Turns the filled features into the answer (predictions, or the features themselves); runs on the batcher.</summary>
    public Func<WorkItem, object> Finish { get; }

    public CancellationToken Cancel { get; }

    /// <summary>When the request times out (a <see cref="Stopwatch"/> timestamp): admission asks whether its rows fit before it.</summary>
    public long Deadline { get; }

    /// <summary>Per max_length, one feature vector per text (D floats), filled as passes complete.</summary>
    public Dictionary<int, float[][]> Features { get; }

    public int Remaining { get; set; }
    public int Rows => Texts.Count * MaxLengths.Count;

    public TaskCompletionSource<object> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every (max_length, text index) row this request needs, in order.</summary>
    public IEnumerable<(int MaxLength, int Index)> AllRows() =>
        MaxLengths.SelectMany(m => Enumerable.Range(0, Texts.Count).Select(i => (m, i)));
}

/// <summary>What <see cref="WorkItem.Finish"/> makes for a predict request.</summary>
internal sealed record PredictResult(IReadOnlyList<TaskPredictions> Tasks);

/// <summary>
/// A request's deadline: the token that fires at it (or when the caller cancels) and the moment itself, so that the
/// batcher can refuse up front a request whose rows cannot be served before it.
/// </summary>
internal sealed class RequestDeadline : IDisposable
{
    private readonly CancellationTokenSource _source;

    public RequestDeadline(CancellationToken cancel, TimeSpan timeout)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _source.CancelAfter(timeout);
        At = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    }

    public CancellationToken Token => _source.Token;

    /// <summary>The deadline as a <see cref="Stopwatch"/> timestamp.</summary>
    public long At { get; }

    public void Dispose() => _source.Dispose();
}
