using Cadre.Serving;

namespace Cadre.Tests.Serving;

/// <summary>
/// The admission rule, with the rate and the time left given (no clock, no model): within the queue bound, and once
/// the rate is measured, only requests whose rows (and the rows ahead) can be served before their deadline.
/// </summary>
public sealed class AdmissionTests
{
    private static readonly TimeSpan ThirtySeconds = TimeSpan.FromSeconds(30);

    [Fact]
    public void BeforeTheRateIsMeasuredOnlyTheQueueBoundCounts()
    {
        Assert.Null(Admission.Check(ahead: 3800, rows: 256, capacity: 4096, rowsPerSecond: null, ThirtySeconds));
        var full = Admission.Check(ahead: 3900, rows: 256, capacity: 4096, rowsPerSecond: null, ThirtySeconds);
        Assert.Equal(ServingErrorKind.Overloaded, full?.Kind);
        Assert.Equal(TimeSpan.FromSeconds(1), full?.RetryAfter);
        Assert.Contains("queue is full", full?.Message);
    }

    [Fact]
    public void TheReportedOverloadIsRefusedUpFrontInsteadOfTimingOut()
    {
        // The reported case: 4,096 queued rows drained in about 30 s (about 136 rows/s), the request timeout. The rows
        // a request may have ahead of it are those served within 80 % of its time left: 136.5 * 24 = 3,276.
        const double rate = 4096 / 30.0;
        Assert.Null(Admission.Check(ahead: 3000, rows: 256, capacity: 4096, rate, ThirtySeconds));
        var late = Admission.Check(ahead: 3100, rows: 256, capacity: 4096, rate, ThirtySeconds);
        Assert.Equal(ServingErrorKind.Overloaded, late?.Kind);
        Assert.Contains("deadline", late?.Message);
        // A request whose deadline is nearer (it waited for its adapter to load) gets less room.
        Assert.NotNull(Admission.Check(ahead: 1000, rows: 256, capacity: 4096, rate, TimeSpan.FromSeconds(5)));
        Assert.Null(Admission.Check(ahead: 0, rows: 256, capacity: 4096, rate, TimeSpan.FromSeconds(5)));
        // Past its deadline already: refused, whatever the queue.
        Assert.NotNull(Admission.Check(ahead: 0, rows: 1, capacity: 4096, rate, TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void RetryAfterIsWhenTheBacklogHasShrunkEnoughForTheRequest()
    {
        // 1,000 rows/s, 10 s left: 8,000 rows may be ahead-or-own; 20,000 are. Fits again after 12 s of serving.
        var refusal = Admission.Check(ahead: 19_000, rows: 1000, capacity: 100_000, rowsPerSecond: 1000, TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(12), refusal?.RetryAfter);
        Assert.Null(Admission.Check(ahead: 6_000, rows: 1000, capacity: 100_000, rowsPerSecond: 1000, TimeSpan.FromSeconds(10)));
        // A queue-bound refusal with a known rate waits until there is room: 600 rows over at 100 rows/s.
        var full = Admission.Check(ahead: 4000, rows: 696, capacity: 4096, rowsPerSecond: 100, TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.FromSeconds(6), full?.RetryAfter);
        // Never less than a second.
        Assert.Equal(TimeSpan.FromSeconds(1), Admission.Check(ahead: 8_001, rows: 0, capacity: 100_000, rowsPerSecond: 1000, TimeSpan.FromSeconds(10))?.RetryAfter);
    }

    [Fact]
    public void TheServiceRateIsAnExponentiallyWeightedRatioOfRowsToBusySeconds()
    {
        var rate = new ServiceRate(decay: 0.5);
        Assert.Null(rate.RowsPerSecond);
        rate.Record(0, TimeSpan.FromSeconds(1)); // an empty batch says nothing
        Assert.Null(rate.RowsPerSecond);
        rate.Record(64, TimeSpan.FromSeconds(0.1));
        Assert.Equal(640, rate.RowsPerSecond!.Value, 6);
        rate.Record(10, TimeSpan.FromSeconds(1)); // the machine got slower: (32 + 10) / (0.05 + 1)
        Assert.Equal(40, rate.RowsPerSecond!.Value, 6);
        for (var i = 0; i < 40; i++) rate.Record(100, TimeSpan.FromSeconds(1));
        Assert.Equal(100, rate.RowsPerSecond!.Value, 3); // old batches fade out
    }
}
