using Cadre.Serving;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Serving;

/// <summary>
/// <see cref="SpecialistEngine.Stats"/> reads counters that requests write: first requests of new specialists add usage
/// entries while the throughput sampler and /metrics read them. A read must be a snapshot, never an exception (one
/// once stopped the server through its sampler).
/// </summary>
public sealed class StatsConcurrencyTests
{
    [Fact]
    public async Task StatsNeverThrowsWhileUsageEntriesAreAdded()
    {
        using var home = new TempDir();
        await using var engine = new SpecialistEngine(home.Path, new ServingOptions());
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 200_000; i++)
                engine.CountServed($"specialist-{w}-{i}", 1 + i % 7);
        }, TestContext.Current.CancellationToken)).ToList();
        var reads = 0;
        Exception? failure = null;
        try
        {
            while (writers.Any(w => !w.IsCompleted) && reads < 20_000)
            {
                var stats = engine.Stats();
                Assert.True(stats.TopSpecialists.Count <= 10);
                reads++;
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.True(failure is null, $"Stats threw after {reads} reads: {failure}");
        Assert.True(reads > 0);
        // The busiest come first, whatever the order they were added in.
        var top = engine.Stats().TopSpecialists;
        Assert.Equal(top.OrderByDescending(t => t.Inputs).Select(t => t.Inputs), top.Select(t => t.Inputs));
    }
}
