using Cadre.Merge;
using static TorchSharp.torch;

namespace Cadre.Tests.Merge;

/// <summary>In-memory task vectors for merge tests; records every read and hands out tensors it can check were disposed.</summary>
internal sealed class MemorySource(string name, IReadOnlyDictionary<string, float[]> values, IReadOnlyDictionary<string, long[]>? shapes = null) : ITensorSource
{
    public List<string> Reads { get; } = [];
    public List<Tensor> HandedOut { get; } = [];

    public string Name => name;

    public IReadOnlyDictionary<string, long[]> Shapes { get; } =
        values.ToDictionary(p => p.Key, p => shapes?.GetValueOrDefault(p.Key) ?? [p.Value.Length], StringComparer.Ordinal);

    public Tensor Read(string key)
    {
        Reads.Add(key);
        var t = tensor(values[key]).reshape(Shapes[key]);
        HandedOut.Add(t);
        return t;
    }

    public static MemorySource Of(string name, params (string Key, float[] Values)[] tensors) =>
        new(name, tensors.ToDictionary(t => t.Key, t => t.Values, StringComparer.Ordinal));
}

internal static class MergeTestTensors
{
    /// <summary>Merges one key across inputs given as (values, weight) and returns the flat result.</summary>
    public static float[] Run(string method, MergeSettings settings, params (float[] Values, double Weight)[] inputs)
    {
        var merger = new Merger(MergeMethods.Get(method), settings,
            inputs.Select((x, i) => new MergeInput(MemorySource.Of($"in{i}", ("w", x.Values)), x.Weight)).ToList());
        using var merged = merger.Merge("w");
        return merged.data<float>().ToArray();
    }

    public static void Near(float[] expected, float[] actual, float tolerance = 1e-6f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"entry {i}: expected {expected[i]}, got {actual[i]} (all: {string.Join(", ", actual)})");
    }
}
