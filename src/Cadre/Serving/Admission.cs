using System.Globalization;

namespace Cadre.Serving;

/// <summary>
/// Whether a batcher takes a request: its rows must fit in the queue (<see cref="ServingOptions.QueueCapacity"/>), and,
/// once the batcher has measured how fast it serves, the rows ahead of it plus its own must be served before its
/// deadline. A request that would only time out after waiting is refused at once with 429 and a <c>Retry-After</c>
/// from the backlog, instead of answering 504 after holding a client for the whole timeout.
/// </summary>
internal static class Admission
{
    /// <summary>
    /// The share of the time left that the backlog may take: the rate is an estimate (batches of other sizes, a busier
    /// machine), and a request admitted on the edge of its deadline is one that may still time out.
    /// </summary>
    public const double Headroom = 0.8;

    /// <summary>Null to admit; else the refusal (<see cref="ServingErrorKind.Overloaded"/>) with its Retry-After.</summary>
    /// <param name="ahead">rows queued or running before this request</param>
    /// <param name="rows">this request's rows</param>
    /// <param name="rowsPerSecond">the measured service rate, or null before the first batch</param>
    /// <param name="timeLeft">until the request's deadline</param>
    public static ServingException? Check(int ahead, int rows, int capacity, double? rowsPerSecond, TimeSpan timeLeft)
    {
        var ci = CultureInfo.InvariantCulture;
        if (ahead + rows > capacity)
        {
            // When the queue has room again for these rows, at the measured rate; one second before it is measured.
            var wait = rowsPerSecond is { } r ? (ahead + rows - capacity) / r : 1;
            return new ServingException(ServingErrorKind.Overloaded,
                string.Create(ci, $"the queue is full ({ahead} of {capacity} rows waiting, {rows} more asked); retry later"),
                Seconds(wait));
        }
        if (rowsPerSecond is not { } rate)
            return null;
        var needed = (ahead + rows) / rate;
        var budget = Math.Max(0, timeLeft.TotalSeconds) * Headroom;
        if (needed <= budget)
            return null;
        // The earliest moment the same request would pass: when the backlog ahead has shrunk by the excess.
        return new ServingException(ServingErrorKind.Overloaded,
            string.Create(ci, $"overloaded: {ahead} rows are queued ahead and this request adds {rows}; at {rate:0} rows/s they " +
                              $"take {needed:0.0} s, past the request's {timeLeft.TotalSeconds:0.0} s deadline; retry later"),
            Seconds(needed - budget));
    }

    private static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(Math.Clamp(s, 1, 3600));
}

/// <summary>
/// How many rows per second a batcher serves while it works: exponentially weighted sums of served rows and of the
/// seconds their passes took (idle time and batching waits excluded; the gaps between batches of a backlog included), so large batches weigh by their rows and the
/// estimate follows a machine that slows down within a few batches. Written by the worker, read by callers.
/// </summary>
internal sealed class ServiceRate(double decay = 0.8)
{
    private readonly Lock _gate = new();
    private double _rows, _seconds;

    /// <summary>Rows per second, or null until a batch has been served.</summary>
    public double? RowsPerSecond
    {
        get
        {
            lock (_gate)
                return _seconds > 0 ? _rows / _seconds : null;
        }
    }

    public void Record(int rows, TimeSpan took)
    {
        if (rows <= 0 || took <= TimeSpan.Zero) return;
        lock (_gate)
        {
            _rows = _rows * decay + rows;
            _seconds = _seconds * decay + took.TotalSeconds;
        }
    }
}
