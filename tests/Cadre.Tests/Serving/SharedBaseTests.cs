using Cadre.Serving;

namespace Cadre.Tests.Serving;

/// <summary>
/// The shared base stays as it was loaded: specialists are read from their files alone, and each pass brings its
/// adapters and prompts in a context of its own, so no adapter, hook or prompt is ever attached to the base.
/// </summary>
public sealed class SharedBaseTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string[] Texts = ["the big cat sat on the mat", "red and blue"];

    private static ServingOptions Options() => new() { MaxBatchWait = TimeSpan.FromMilliseconds(100), MaxBatchRows = 256, QueueCapacity = 4096 };

    [Fact]
    public async Task LoadingAndServingSpecialistsAttachesNothingToTheSharedBase()
    {
        await using var engine = new SpecialistEngine(served.Home, Options());
        foreach (var n in ServedHome.Shared.Append("both-merged")) await engine.LoadAsync(n, null, CancellationToken.None);
        await Task.WhenAll(ServedHome.Shared.Select(n => engine.PredictAsync(n, Texts, null, CancellationToken.None)));
        var bases = engine.StartedBases;
        Assert.Single(bases);
        var encoder = bases[0].Encoder;
        Assert.NotEmpty(encoder.Sites);
        Assert.All(encoder.Sites, s => Assert.Empty(s.Value.Adapters));
        Assert.Null(encoder.Prompt.Vectors);
        Assert.Null(encoder.Prompt.Prefixes);
    }

    /// <summary>A load reads files and the base's shapes only: it goes on while a pass holds the base.</summary>
    [Fact]
    public async Task ALoadDoesNotWaitForTheBase()
    {
        await using var engine = new SpecialistEngine(served.Home, Options());
        await engine.LoadAsync("colors-head", null, CancellationToken.None);
        var servingBase = Assert.Single(engine.StartedBases);
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            lock (servingBase.Lock)
            {
                held.Set();
                release.Wait();
            }
        });
        holder.Start();
        held.Wait(TestContext.Current.CancellationToken);
        try
        {
            foreach (var name in new[] { "pets-lora", "pets-ia3", "pets-deep", "colors-prompt" })
                await engine.LoadAsync(name, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
        finally
        {
            release.Set();
            holder.Join();
        }
        Assert.Equal(5, engine.Stats().HotSpecialists);
    }
}
