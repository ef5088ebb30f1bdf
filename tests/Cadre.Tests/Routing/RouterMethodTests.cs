using System.Text.RegularExpressions;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Routing;

/// <summary>Every registered router runs one battery on synthetic embeddings: it separates clusters, is seeded, and saves and loads exactly.</summary>
[Collection(TorchCollection.Name)]
public sealed partial class RouterMethodTests
{
    public static TheoryData<string> Methods() => [.. Routers.All.Select(m => m.Name)];

    /// <summary>Three specialists, each two clusters (its "classes") around random centres in 16 dimensions, plus a shared offset.</summary>
    internal static RouterData Clusters(int perGroup, int seed, double spread = 0.3)
    {
        var random = new Random(seed);
        const int d = 16;
        var centreRandom = new Random(99); // the same centres for every seed: train and test come from one distribution
        var centres = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, d).Select(_ => centreRandom.NextDouble() * 2 - 1).ToArray()).ToArray();
        var rows = new List<float>();
        var owner = new List<int>();
        var group = new List<int>();
        for (var c = 0; c < 6; c++)
            for (var i = 0; i < perGroup; i++)
            {
                rows.AddRange(centres[c].Select(v => (float)(v + 3 + spread * Gaussian(random)))); // +3: a common direction, as real embeddings have
                owner.Add(c / 2);
                group.Add(c % 2);
            }
        return new RouterData(["alpha", "beta", "gamma"], d, [.. rows], [.. owner], [.. group]);
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static float[][] Logits(IRouter router, RouterData data)
    {
        using var scope = NewDisposeScope();
        return router.Score(data.Tensor()).Logits;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void SeparatesClustersAndRoundTripsExactly(string name)
    {
        var method = Routers.Get(name);
        var train = Clusters(40, seed: 1);
        var test = Clusters(20, seed: 2);
        using var router = method.Fit(train, seed: 3);
        var logits = Logits(router, test);
        var correct = logits.Select((l, i) => Array.IndexOf(l, l.Max()) == test.Owner[i]).Count(c => c);
        Assert.True(correct >= 0.95 * test.Rows, $"{name}: {correct} of {test.Rows}");

        using var again = method.Fit(train, seed: 3);
        Assert.Equal(logits, Logits(again, test)); // seeded: the same data and seed give the same router

        using var loaded = method.Load(router.State(), 3, 16, "test");
        Assert.Equal(logits, Logits(loaded, test));
        Assert.Equal(router.ParameterCount, loaded.ParameterCount);
        Assert.True(router.ParameterCount > 0);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void LoadRefusesStateOfAnotherShape(string name)
    {
        var method = Routers.Get(name);
        using var router = method.Fit(Clusters(10, 1), seed: 1);
        var wrongWidth = Assert.Throws<CadreException>(() => method.Load(router.State(), 3, 8, "r.safetensors"));
        Assert.Contains("r.safetensors", wrongWidth.Message);
        Assert.Throws<CadreException>(() => method.Load(new Dictionary<string, Tensor>(), 3, 16, "r.safetensors"));
    }

    [Fact]
    public void RegistryNamesAreUniqueSnakeCaseAndUnknownNamesAreListed()
    {
        var names = Routers.All.Select(m => m.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches(SnakeCase(), n));
        Assert.Contains(Routers.Default, names);
        var e = Assert.Throws<CadreException>(() => Routers.Get("nearest"));
        Assert.Contains("prototype", e.Message);
        Assert.Contains("learned", e.Message);
    }

    [Fact]
    public void PrototypeSimilarityIsLowerFarFromEveryCluster()
    {
        using var router = Routers.Get("prototype").Fit(Clusters(40, 1), seed: 1);
        var inside = Clusters(10, 2);
        var random = new Random(5);
        var outside = inside with { Embeddings = [.. inside.Embeddings.Select(_ => (float)(3 + 2 * (random.NextDouble() * 2 - 1)))] };
        using var scope = NewDisposeScope();
        var near = router.Score(inside.Tensor()).Similarity!;
        var far = router.Score(outside.Tensor()).Similarity!;
        Assert.True(RouterCalibration.Auroc([.. near.Select(v => (double)v)], [.. far.Select(v => (double)v)]) > 0.95);
    }

    [Fact]
    public void ThePrototypeRouterOverOneSpecialistAbstainsOnAnotherDomain()
    {
        // One registered domain, a single cluster (alpha's first), and inputs from the clusters nobody registered.
        // Centering by the registered rows' own mean left only their noise, so the old signal (the best centered
        // prototype cosine) could not tell them apart and answered off-topic inputs; the uncentered nearest exemplar can.
        var all = Clusters(200, seed: 1);
        var alpha = all.Take([.. Enumerable.Range(0, all.Rows).Where(i => all.Owner[i] == 0 && all.Group[i] == 0)]) with { Specialists = ["alpha"] };
        var (fit, heldOut) = RouterBuilder.Split([new RoutingSample
        {
            Specialist = "alpha", Task = Cadre.Data.TaskKind.Regression, Dimension = alpha.Dimension, MaxLength = 16,
            Embeddings = alpha.Embeddings, Targets = new float[alpha.Rows],
        }], 0.2, seed: 1);
        using var router = Routers.Get("prototype").Fit(fit, seed: 1);
        var threshold = RouterBuilder.Calibrate(router, heldOut, coverage: 0.95).Abstention.Threshold;
        var test = Clusters(100, seed: 2);
        using var scope = NewDisposeScope();
        var signal = router.Score(test.Tensor()).Similarity!;
        var inside = Enumerable.Range(0, test.Rows).Where(i => test.Owner[i] == 0 && test.Group[i] == 0).Select(i => (double)signal[i]).ToList();
        var outside = Enumerable.Range(0, test.Rows).Where(i => test.Owner[i] != 0 || test.Group[i] != 0).Select(i => (double)signal[i]).ToList();
        Assert.True(inside.Count(s => s >= threshold) >= 0.85 * inside.Count, $"in scope answered: {inside.Count(s => s >= threshold)} of {inside.Count}");
        Assert.True(outside.All(s => s < threshold), $"off-topic answered: {outside.Count(s => s >= threshold)} of {outside.Count} (threshold {threshold:F3})");
        Assert.True(RouterCalibration.Auroc(inside, outside) > 0.99);
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();
}
