using Cadre.Serving;
using static TorchSharp.torch;

namespace Cadre.Tests.Serving;

/// <summary>
/// A caller that holds a TorchSharp dispose scope of its own (as any tensor code does) and calls the engine, which
/// builds its base and router on the caller's thread: closing that scope must not dispose the engine's weights.
/// It did, and so did a scope left open across an await on a pool thread, which later loads ran on.
/// </summary>
public sealed class CallerScopeTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string[] Texts = ["the cat sat", "blue and red"];

    [Fact]
    public async Task ClosingTheCallersScopeLeavesTheEnginesBaseAndRouterIntact()
    {
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions { MaxBatchWait = TimeSpan.Zero });
        float[][]? first = null;
        Exception? failure = null;
        // A thread of our own, so that the scope is certainly the one current where the engine builds.
        var thread = new Thread(() =>
        {
            try
            {
                using var scope = NewDisposeScope();
                first = engine.EmbedAsync(Texts, null, CancellationToken.None).GetAwaiter().GetResult();
                engine.RouteAsync(Texts, null, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);

        // The scope is closed: the base and the router must still answer, and the same.
        var again = await engine.EmbedAsync(Texts, null, CancellationToken.None);
        for (var i = 0; i < Texts.Length; i++)
            Assert.Equal(first![i], again[i]);
        var decisions = await engine.RouteAsync(Texts, null, CancellationToken.None);
        Assert.Equal(Texts.Length, decisions.Count);
    }
}
