using Cadre.Benchmarks.Load;

namespace Cadre.Tests.Server;

/// <summary>
/// The open-loop client's arithmetic on a manual clock: requests leave on the schedule, whatever the answers; latency
/// runs from the scheduled time, so requests delayed by a stall count it (no coordinated omission); warm-up requests
/// are not counted; percentiles are nearest-rank; wrk's done() line reads back.
/// </summary>
public sealed class OpenLoopLoadTests
{
    /// <summary>Time moves only when the load waits for it or a test sender advances it.</summary>
    private sealed class ManualClock : ILoadClock
    {
        public TimeSpan Now { get; private set; }

        public void Advance(TimeSpan by) => Now += by;

        public Task WaitUntilAsync(TimeSpan at, CancellationToken cancel)
        {
            if (at > Now) Now = at;
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task RequestsLeaveOnTheScheduleAtTheOfferedRate()
    {
        var clock = new ManualClock();
        var sentAt = new List<TimeSpan>();
        var samples = await OpenLoopLoad.RunAsync(_ => { sentAt.Add(clock.Now); return Task.FromResult(200); }, rate: 10, TimeSpan.FromSeconds(2), clock,
                                                  TestContext.Current.CancellationToken);
        Assert.Equal(20, samples.Length);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => TimeSpan.FromMilliseconds(100 * i)), sentAt);
        Assert.All(samples, s => Assert.Equal(0, s.LatencyMs, 6));
    }

    [Fact]
    public async Task AStallCountsForEveryRequestItDelayed()
    {
        // Request 0 holds the client for one second: requests 1..10, due during the stall, leave late and their
        // latency includes the wait. Measured from when they left, all but request 0 would read 0 ms.
        var clock = new ManualClock();
        var samples = await OpenLoopLoad.RunAsync(i =>
        {
            if (i == 0) clock.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(200);
        }, rate: 10, TimeSpan.FromSeconds(2), clock, TestContext.Current.CancellationToken);
        Assert.Equal(1000, samples[0].LatencyMs, 6);
        Assert.Equal(900, samples[1].LatencyMs, 6);
        Assert.Equal(900, samples[1].SendLagMs, 6);
        Assert.Equal(0, samples[10].LatencyMs, 6);
        var r = LoadStatistics.Summarize(samples, 10, TimeSpan.Zero);
        // Sorted: ten 0s, then 100 .. 900, then 1000 (20 samples; nearest rank).
        Assert.Equal((0.0, 800.0, 1000.0, 1000.0), (r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs));
        Assert.Equal((20L, 20L), (r.Sent, r.Ok));
    }

    [Fact]
    public async Task ABacklogAnsweredAfterTheScheduleStretchesTheWindow()
    {
        // The last request (due at 1.9 s) is answered 3 s late: 20 answers over 4.9 s, not over the 2 scheduled seconds.
        var clock = new ManualClock();
        var samples = await OpenLoopLoad.RunAsync(i =>
        {
            if (i == 19) clock.Advance(TimeSpan.FromSeconds(3));
            return Task.FromResult(200);
        }, rate: 10, TimeSpan.FromSeconds(2), clock, TestContext.Current.CancellationToken);
        var r = LoadStatistics.Summarize(samples, 10, TimeSpan.Zero);
        Assert.Equal(20 / 4.9, r.AchievedRate, 6);
        Assert.Equal(3000, r.MaxMs, 6);
    }

    [Fact]
    public async Task WarmupIsNotCountedAndErrorsAreCountedByStatus()
    {
        var clock = new ManualClock();
        var samples = await OpenLoopLoad.RunAsync(i => Task.FromResult(i % 4 == 1 ? 429 : i % 4 == 3 ? 0 : 200), rate: 20, TimeSpan.FromSeconds(3), clock,
                                                  TestContext.Current.CancellationToken);
        var r = LoadStatistics.Summarize(samples, 20, TimeSpan.FromSeconds(1));
        Assert.Equal(40, r.Sent); // the 20 due in the first second are the warm-up
        Assert.Equal(20, r.Ok);
        Assert.Equal(new Dictionary<string, long> { ["429"] = 10, ["0"] = 10 }, r.Errors);
        Assert.Equal((10L, 0L, 10L), (r.ErrorsWith("429"), r.ErrorsWith("504"), r.OtherErrors));
        // 20 answered over the measured window: the two scheduled seconds (the last answer came at 2.95 s, in time).
        Assert.Equal(10, r.AchievedRate, 6);
        Assert.Equal(20, r.OfferedRate);
    }

    [Fact]
    public void PercentilesAreNearestRank()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(5, LoadStatistics.Percentile(sorted, 0.50));
        Assert.Equal(10, LoadStatistics.Percentile(sorted, 0.99));
        Assert.Equal(1, LoadStatistics.Percentile(sorted, 0.01));
        Assert.True(double.IsNaN(LoadStatistics.Percentile([], 0.5)));
        var none = LoadStatistics.Summarize([], 5, TimeSpan.Zero);
        Assert.Equal((0L, 0.0), (none.Sent, none.AchievedRate));
        Assert.True(double.IsNaN(none.P99Ms));
    }

    [Fact]
    public void ResultsRoundTripThroughJsonWithoutAnOfferedRate()
    {
        var r = WrkLoad.Parse("""{"requests":120,"duration_us":2000000,"p50_ms":3.5,"p90_ms":7.0,"p99_ms":12.25,"max_ms":40.0,"statuses":{"200":110,"429":8,"503":2},"socket_errors":{"connect":0,"read":1,"write":0,"timeout":2}}""");
        Assert.Equal((123L, 110L, 55.0), (r.Sent, r.Ok, r.AchievedRate));
        Assert.Equal((8L, 0L, 5L), (r.ErrorsWith("429"), r.ErrorsWith("504"), r.OtherErrors));
        Assert.Equal((3.5, 12.25), (r.P50Ms, r.P99Ms));
        var back = LoadResult.FromJson(r.ToJson());
        Assert.True(double.IsNaN(back.OfferedRate));
        Assert.Equal(r.Errors, back.Errors);
        Assert.Equal((r.Sent, r.P99Ms, r.Tool), (back.Sent, back.P99Ms, back.Tool));
    }
}
