using Cadre.Merge;
using Cadre.Tests.Infrastructure;
using static Cadre.Tests.Merge.MergeTestTensors;

namespace Cadre.Tests.Merge;

/// <summary>Every merge method against tensors worked out by hand (the arithmetic is in each test's comments).</summary>
[Collection(TorchCollection.Name)]
public sealed class MergeMethodTests
{
    private static readonly float[] A = [1f, -2f, 3f, 0f];
    private static readonly float[] B = [3f, 2f, -1f, 4f];

    [Fact]
    public void LinearIsTheWeightedMeanWithWeightsNormalized()
    {
        // weights 1, 1: (A + B) / 2
        Near([2f, 0f, 1f, 2f], Run("linear", new(), (A, 1), (B, 1)));
        // weights 3, 1 mean 3/4 and 1/4: (3A + B) / 4 = [6/4, -4/4, 8/4, 4/4]
        Near([1.5f, -1f, 2f, 1f], Run("linear", new(), (A, 3), (B, 1)));
        // weights that sum to 1 already give the same as their multiples
        Near(Run("linear", new(), (A, 0.75), (B, 0.25)), Run("linear", new(), (A, 3), (B, 1)));
    }

    [Fact]
    public void TaskArithmeticAddsWeightedVectorsWithoutNormalizing()
    {
        // weights 1, 1, λ 1: A + B
        Near([4f, 0f, 2f, 4f], Run("task_arithmetic", new(), (A, 1), (B, 1)));
        // weights 2, 1, λ 0.5: 0.5 (2A + B) = 0.5 [5, -2, 5, 4]
        Near([2.5f, -1f, 2.5f, 2f], Run("task_arithmetic", new() { Lambda = 0.5 }, (A, 2), (B, 1)));
        // normalize: true divides by the summed weights: (2A + B) / 3
        Near([5f / 3, -2f / 3, 5f / 3, 4f / 3], Run("task_arithmetic", new() { Normalize = true }, (A, 2), (B, 1)));
    }

    [Fact]
    public void TiesTrimsElectsSignsAndAveragesTheAgreeingEntries()
    {
        float[] x = [4f, -1f, 0.5f, 2f, -3f];
        float[] y = [-2f, 3f, 1f, -0.2f, -0.5f];
        // density 0.6 keeps floor(0.6 · 5) = 3 entries by magnitude:
        //   x → [4, 0, 0, 2, -3]; y → [-2, 3, 1, 0, 0]
        // elected sign of the sum: [+2 → +, +3 → +, +1 → +, +2 → +, -3 → -]
        // agreeing: entry 0: x only → 4; entry 1: y only → 3; entry 2: y → 1; entry 3: x → 2; entry 4: x → -3
        Near([4f, 3f, 1f, 2f, -3f], Run("ties", new() { Density = 0.6 }, (x, 1), (y, 1)));
        // weights 1 and 3: weighted x → [4, 0, 0, 2, -3], weighted y → [-6, 9, 3, 0, 0]
        // sums [-2, 9, 3, 2, -3] → signs [-, +, +, +, -]; entry 0: y agrees, -6 / 3 = -2
        Near([-2f, 3f, 1f, 2f, -3f], Run("ties", new() { Density = 0.6 }, (x, 1), (y, 3)));
        // normalize: false leaves the weighted sums: [-6, 9, 3, 2, -3]
        Near([-6f, 9f, 3f, 2f, -3f], Run("ties", new() { Density = 0.6, Normalize = false }, (x, 1), (y, 3)));
        // density 1 (no trim), signs of sums [2, 2, 1.5, 1.8, -3.5] → [+, +, +, +, -]:
        //   entry 0: x 4 → 4; 1: y 3; 2: (0.5 + 1) / 2; 3: x 2; 4: (-3 - 0.5) / 2
        Near([4f, 3f, 0.75f, 2f, -1.75f], Run("ties", new() { Density = 1 }, (x, 1), (y, 1)));
    }

    [Fact]
    public void TiesCountConsensusElectsTheMajoritySign()
    {
        // three inputs; entry 0 values 1, 1, -10: sum elects -, count elects + (two of three)
        float[] x = [1f], y = [1f], z = [-10f];
        Near([-10f], Run("ties", new() { Density = 1 }, (x, 1), (y, 1), (z, 1)));
        Near([1f], Run("ties", new() { Density = 1, Consensus = "count" }, (x, 1), (y, 1), (z, 1)));
    }

    [Fact]
    public void DareDropsWithTheSeededMaskAndRescales()
    {
        var values = Enumerable.Range(1, 2000).Select(i => (float)i).ToArray();
        var zero = new float[values.Length];
        // one real input and one zero input, weights 1 and 1: dare_linear sums, so the result is the rescaled x alone
        var merged = Run("dare_linear", new() { Density = 0.25, Seed = 7 }, (values, 1), (zero, 1));
        var kept = merged.Select((v, i) => (v, i)).Where(p => p.v != 0).ToList();
        Assert.All(kept, p => Assert.Equal(values[p.i] / 0.25f, p.v, 3));          // kept entries are scaled by 1 / density
        Assert.InRange(kept.Count, 400, 600);                                       // about a quarter of 2000 survive
        Assert.Equal(merged, Run("dare_linear", new() { Density = 0.25, Seed = 7 }, (values, 1), (zero, 1))); // seeded
        Assert.NotEqual(merged, Run("dare_linear", new() { Density = 0.25, Seed = 8 }, (values, 1), (zero, 1)));
        // rescale: false keeps survivors as they were
        var plain = Run("dare_linear", new() { Density = 0.25, Seed = 7, Rescale = false }, (values, 1), (zero, 1));
        Assert.All(plain.Select((v, i) => (v, i)).Where(p => p.v != 0), p => Assert.Equal(values[p.i], p.v));
        // the mask is the one Sparsify.Random draws for (seed, key, input)
        using var t = TorchSharp.torch.tensor(values);
        using var expected = Sparsify.Random(t, 0.25, true, 7, "w", 0);
        Near(expected.data<float>().ToArray(), merged, 1e-3f);
    }

    [Fact]
    public void DareTiesElectsSignsOnTheRescaledSurvivors()
    {
        float[] x = [2f, -2f];
        float[] y = [-1f, -1f];
        // density 1 draws no drop: signs of sums [1, -3] → [+, -]; entry 0: x alone 2; entry 1: both, summed
        // (dare_ties does not normalize): -3
        Near([2f, -3f], Run("dare_ties", new() { Density = 1 }, (x, 1), (y, 1)));
        // normalize: true gives the mean of the agreeing entries
        Near([2f, -1.5f], Run("dare_ties", new() { Density = 1, Normalize = true }, (x, 1), (y, 1)));
    }

    [Fact]
    public void FisherWeighsEachEntryByEachInputsFisher()
    {
        float[] x = [1f, 1f, 4f];
        float[] y = [3f, 5f, 0f];
        float[] fx = [1f, 0f, 3f];
        float[] fy = [1f, 2f, 1f];
        // entry 0: (1·1 + 1·3) / 2 = 2; entry 1: x's Fisher 0 is floored at ε: (ε·1 + 2·5) / (ε + 2) ≈ 5;
        // entry 2: (3·4 + 1·0) / 4 = 3
        var settings = new MergeSettings { NormalizeFisher = false, Epsilon = 1e-6 };
        var merger = new Merger(MergeMethods.Get("fisher"), settings,
        [
            new MergeInput(MemorySource.Of("x", ("w", x)), 1, MemorySource.Of("fx", ("w", fx))),
            new MergeInput(MemorySource.Of("y", ("w", y)), 1, MemorySource.Of("fy", ("w", fy))),
        ]);
        using (var merged = merger.Merge("w"))
            Near([2f, 5f, 3f], merged.data<float>().ToArray(), 1e-5f);
        // weights 3, 1 multiply the Fisher: entry 0: (3 + 3) / 4 = 1.5; entry 2: (9·4) / 10 = 3.6
        // normalized Fisher (norms 2 and 4) gives x's entries twice the pull: entry 0: (0.5·1 + 0.25·3) / 0.75
        var normalized = new Merger(MergeMethods.Get("fisher"), new MergeSettings(),
        [
            new MergeInput(MemorySource.Of("x", ("w", x)), 1, MemorySource.Of("fx", ("w", fx)), FisherNorm: 2),
            new MergeInput(MemorySource.Of("y", ("w", y)), 1, MemorySource.Of("fy", ("w", fy)), FisherNorm: 4),
        ]);
        using (var merged = normalized.Merge("w"))
            Near([(0.5f + 0.75f) / 0.75f, 5f, (1.5f * 4) / (1.5f + 0.25f)], merged.data<float>().ToArray(), 1e-4f);
        var weighted = new Merger(MergeMethods.Get("fisher"), settings,
        [
            new MergeInput(MemorySource.Of("x", ("w", x)), 3, MemorySource.Of("fx", ("w", fx))),
            new MergeInput(MemorySource.Of("y", ("w", y)), 1, MemorySource.Of("fy", ("w", fy))),
        ]);
        using (var merged = weighted.Merge("w"))
            Near([1.5f, 5f, 3.6f], merged.data<float>().ToArray(), 1e-4f);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("task_arithmetic")]
    [InlineData("ties")]
    [InlineData("dare_linear")]
    [InlineData("dare_ties")]
    [InlineData("fisher")]
    public void IdenticalInputsMergeToTheInput(string method)
    {
        // With the settings that make each method a no-op on agreement: weights summing to 1, density 1, λ 1.
        float[] v = [0.5f, -1.5f, 2f, 0f, 3f];
        var settings = method switch
        {
            "ties" or "dare_linear" or "dare_ties" => new MergeSettings { Density = 1 },
            _ => new MergeSettings(),
        };
        var inputs = Enumerable.Range(0, 3).Select(i => new MergeInput(
            MemorySource.Of($"in{i}", ("w", v)), 1.0 / 3, MemorySource.Of($"f{i}", ("w", [1f, 2f, 0f, 1f, 5f])), FisherNorm: 1)).ToList();
        using var merged = new Merger(MergeMethods.Get(method), settings, inputs).Merge("w");
        Near(v, merged.data<float>().ToArray(), 1e-5f);
    }

    [Fact]
    public void TiesOfIdenticalInputsIsTheTrimmedInput()
    {
        float[] v = [0.5f, -1.5f, 2f, 0.1f, 3f];
        // density 0.4 keeps floor(2) entries: 3 and 2
        Near([0f, 0f, 2f, 0f, 3f], Run("ties", new() { Density = 0.4 }, (v, 1), (v, 1)));
    }

    [Fact]
    public void RegistryNamesAreUniqueSnakeCaseAndEveryMethodDeclaresItsParameters()
    {
        var names = MergeMethods.All.Select(m => m.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-z][a-z0-9]*(_[a-z0-9]+)*$", n));
        Assert.Equal(["linear", "task_arithmetic", "ties", "dare_linear", "dare_ties", "fisher"], names);
        var known = new MergeSettings().Values().Keys.ToHashSet();
        Assert.All(MergeMethods.All, m => Assert.All(m.Parameters, p => Assert.Contains(p, known)));
    }
}
