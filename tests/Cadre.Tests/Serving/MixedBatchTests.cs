using Cadre.Routing;
using Cadre.Serving;
using Cadre.Specialists;
using Cadre.Tests.Merge;

namespace Cadre.Tests.Serving;

/// <summary>
/// The engine's mixed batches answer exactly what each specialist answers alone: every adapter kind gathered per
/// row in one pass agrees with <see cref="SpecialistModel"/> (the path <c>cadre predict</c> takes) to float rounding.
/// </summary>
public sealed class MixedBatchTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string[] Texts = ["the big cat sat on the mat", "red and blue", "a dog is not slow", "blue"];

    private static ServingOptions Options(TimeSpan? wait = null) => new()
    {
        MaxBatchWait = wait ?? TimeSpan.FromMilliseconds(200), MaxBatchRows = 256, QueueCapacity = 4096,
    };

    private static IReadOnlyList<TaskPredictions> Alone(string home, string name)
    {
        using var model = SpecialistModel.Load(home, name);
        return model.PredictAll(Texts);
    }

    private static void AssertSame(IReadOnlyList<TaskPredictions> expected, IReadOnlyList<TaskPredictions> actual, string name)
    {
        Assert.Equal(expected.Select(t => t.Task.Name), actual.Select(t => t.Task.Name));
        foreach (var (e, a) in expected.Zip(actual))
            for (var i = 0; i < Texts.Length; i++)
            {
                Assert.Equal(e.Predictions[i].Label, a.Predictions[i].Label);
                foreach (var (label, p) in e.Predictions[i].Probabilities)
                    Assert.True(Math.Abs(p - a.Predictions[i].Probabilities[label]) < 1e-5,
                                $"{name} text {i} label {label}: alone {p}, mixed {a.Predictions[i].Probabilities[label]}");
            }
    }

    [Fact]
    public async Task ConcurrentRequestsForEverySpecialistShareBatchesAndMatchEachAlone()
    {
        var names = ServedHome.Shared.Append("both-merged").Append("pets-full").ToList();
        var expected = names.ToDictionary(n => n, n => Alone(served.Home, n));
        await using var engine = new SpecialistEngine(served.Home, Options());
        // Warm the pool first so that the concurrent requests below arrive within one batching window.
        foreach (var n in names) await engine.LoadAsync(n, null, CancellationToken.None);
        var answers = await Task.WhenAll(names.Select(n => engine.PredictAsync(n, Texts, null, CancellationToken.None)));
        for (var k = 0; k < names.Count; k++)
            AssertSame(expected[names[k]], answers[k], names[k]);
        var stats = engine.Stats();
        // Every shared-base specialist, prompts of lengths 2 and 3, a deep prompt, LoRA at two ranks, (IA)³, a head and
        // a merge: one batch, and one pass of the base (they all cut texts at the same max_length).
        Assert.Equal(1, stats.Batches);
        Assert.Equal(1, engine.Passes);
        Assert.Equal(names.Count - 1, stats.Requests); // the full fine-tune runs on its own model, outside the batcher
    }

    [Fact]
    public async Task LoraAndIa3RowsOfDifferentSpecialistsShareOnePass()
    {
        var names = new[] { "pets-lora", "colors-lora8", "pets-ia3", "colors-head" };
        await using var engine = new SpecialistEngine(served.Home, Options());
        foreach (var n in names) await engine.LoadAsync(n, null, CancellationToken.None);
        var answers = await Task.WhenAll(names.Select(n => engine.PredictAsync(n, Texts, null, CancellationToken.None)));
        for (var k = 0; k < names.Length; k++)
            AssertSame(Alone(served.Home, names[k]), answers[k], names[k]);
        Assert.Equal(1, engine.Stats().Batches);
        Assert.Equal(names.Length * Texts.Length, engine.Stats().BatchSizeCounts.Single().Key);
    }

    [Fact]
    public async Task SplitPerAdapterBaselineGivesTheSameAnswers()
    {
        var names = new[] { "pets-lora", "colors-lora8", "pets-ia3" };
        await using var engine = new SpecialistEngine(served.Home, Options() with { SplitPerAdapter = true });
        var answers = await Task.WhenAll(names.Select(n => engine.PredictAsync(n, Texts, null, CancellationToken.None)));
        for (var k = 0; k < names.Length; k++)
            AssertSame(Alone(served.Home, names[k]), answers[k], names[k]);
    }

    private float[] Features(string name)
    {
        using var model = SpecialistModel.Load(served.Home, name);
        using var scope = TorchSharp.torch.NewDisposeScope();
        return model.Features(Texts).data<float>().ToArray();
    }

    [Fact]
    public async Task EmbedAndRouteUseTheSharedBase()
    {
        await using var engine = new SpecialistEngine(served.Home, Options(TimeSpan.Zero));
        using var router = SpecialistRouter.Load(served.Home);
        var expected = router.Route(Texts);
        var decisions = await engine.RouteAsync(Texts, null, CancellationToken.None);
        Assert.Equal(expected.Select(d => d.Best), decisions.Select(d => d.Best));
        foreach (var (e, a) in expected.Zip(decisions))
            Assert.True(Math.Abs(e.Confidence - a.Confidence) < 1e-5);
        var answers = await engine.AskAsync(Texts, null, CancellationToken.None);
        Assert.All(answers.Where(a => !a.Route.Abstained), a => Assert.NotNull(a.Prediction));

        // Each model's features are read in a scope of their own: a scope held across an await stays current on the
        // thread it was opened on, and whatever runs there next (the pool's loads) would land in it.
        var features = Features("pets-lora");
        var flat = (await engine.EmbedAsync(Texts, "pets-lora", CancellationToken.None)).SelectMany(r => r).ToArray();
        Assert.Equal(features.Length, flat.Length);
        Assert.True(features.Zip(flat).Max(p => Math.Abs(p.First - p.Second)) < 1e-5);
        var ownFeatures = Features("pets-full");
        var servedFull = (await engine.EmbedAsync(Texts, "pets-full", CancellationToken.None)).SelectMany(r => r).ToArray();
        Assert.True(ownFeatures.Zip(servedFull).Max(p => Math.Abs(p.First - p.Second)) < 1e-5); // a full fine-tune embeds with its own weights
        var bare = await engine.EmbedAsync(Texts, null, CancellationToken.None);
        Assert.Equal(Texts.Length, bare.Length);
    }
}
