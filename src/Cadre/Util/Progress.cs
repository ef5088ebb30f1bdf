namespace Cadre.Util;

/// <summary>
/// One report of a long step (<see cref="IProgress{T}"/>): <see cref="Done"/> of <see cref="Total"/> units of
/// <see cref="Stage"/>. A step that has parts (a training run's epochs) also gives the current part's done and total,
/// so a reader can estimate the time left in the part as well as in the whole.
/// </summary>
public sealed record ProgressUpdate(string Stage, long Done, long Total, string Unit)
{
    /// <summary>Words that go with the numbers, such as "epoch 2/5, loss 0.4132".</summary>
    public string? Detail { get; init; }
    /// <summary>The current part's name ("epoch"), done and total, in the same units; null when the step has no parts.</summary>
    public string? Part { get; init; }
    public long PartDone { get; init; }
    public long PartTotal { get; init; }
}

/// <summary>Rate and time left at one report. Null where nothing can be estimated yet (a single observation, no progress).</summary>
public readonly record struct ProgressEstimate(TimeSpan Elapsed, double? Rate, TimeSpan? Left)
{
    /// <summary>The time <paramref name="remaining"/> more units take at the measured rate.</summary>
    public TimeSpan? LeftFor(long remaining) =>
        Rate is > 0 and var r ? TimeSpan.FromSeconds(Math.Max(0, remaining) / r) : null;
}

/// <summary>
/// Rate and time left from timed observations of done/total. The rate is the average since the first observation,
/// not a recent window: pauses inside a step (a training run validates after each epoch) then count, and the estimate
/// does not jump with each batch. The clock is injected so the arithmetic is tested without waiting.
/// </summary>
public sealed class ProgressMeter(Func<TimeSpan> clock)
{
    private TimeSpan? _start;
    private long _startDone;

    /// <summary>A meter on a monotonic clock (a <see cref="System.Diagnostics.Stopwatch"/>).</summary>
    public static ProgressMeter Started()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        return new ProgressMeter(() => watch.Elapsed);
    }

    public ProgressEstimate Observe(long done, long total)
    {
        var now = clock();
        if (_start is null || done < _startDone)
        {
            (_start, _startDone) = (now, done);
            return new ProgressEstimate(TimeSpan.Zero, null, null);
        }
        var elapsed = now - _start.Value;
        var units = done - _startDone;
        if (units <= 0 || elapsed <= TimeSpan.Zero)
            return new ProgressEstimate(elapsed, null, done >= total ? TimeSpan.Zero : null);
        var rate = units / elapsed.TotalSeconds;
        return new ProgressEstimate(elapsed, rate, TimeSpan.FromSeconds(Math.Max(0, total - done) / rate));
    }
}
