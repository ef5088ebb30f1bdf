using System.Text.Json;

namespace Cadre.Models.UseLite;

/// <summary>
/// Checks that model.json's graph computes what <see cref="UseLiteNetwork"/> computes, beyond its weights: only ops
/// this implementation reproduces, and the compute ops in the numbers a USE-lite graph of that many layers has
/// (one ReLU, one softmax, two 1×1 convolutions and two batched matmuls per layer; one sin, cos and tanh). A graph
/// that differs (another activation, an extra normalization) is refused instead of being silently mis-run.
/// </summary>
internal static class UseLiteGraphCheck
{
    /// <summary>Shape bookkeeping and data movement: any number of them is fine.</summary>
    private static readonly HashSet<string> Bookkeeping =
    [
        "Const", "Placeholder", "StridedSlice", "Reshape", "Shape", "ConcatV2", "ExpandDims", "Pack", "GatherV2",
        "Transpose", "Prod", "Cast", "Squeeze", "ScatterNd", "GatherNd", "Where", "SplitV", "Slice", "Max", "Less",
        "Greater", "LogicalNot", "Range", "SparseToDense", "Maximum", "Identity",
    ];

    /// <summary>Arithmetic ops; their counts must fit the layer count.</summary>
    private static readonly HashSet<string> Arithmetic = ["Add", "Mul", "Sub", "Mean", "Square", "Rsqrt", "BiasAdd", "MatMul", "Sum", "RealDiv"];

    public static void Verify(byte[] modelJson, int layers, string source)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(modelJson);
            foreach (var node in doc.RootElement.GetProperty("modelTopology").GetProperty("node").EnumerateArray())
            {
                var op = node.GetProperty("op").GetString() ?? "";
                counts[op] = counts.GetValueOrDefault(op) + 1;
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CadreException($"{source}: model.json has no readable modelTopology ({e.Message})");
        }
        var expected = new Dictionary<string, int>
        {
            ["Relu"] = layers, ["Softmax"] = layers, ["Conv2D"] = 2 * layers, ["BatchMatMul"] = 2 * layers,
            ["Sin"] = 1, ["Cos"] = 1, ["Tanh"] = 1,
        };
        var problems = new List<string>();
        foreach (var (op, n) in counts.Where(p => !Bookkeeping.Contains(p.Key) && !Arithmetic.Contains(p.Key) && !expected.ContainsKey(p.Key)))
            problems.Add($"op {op} ×{n} is not part of USE-lite");
        foreach (var (op, n) in expected.Where(p => counts.GetValueOrDefault(p.Key) != p.Value))
            problems.Add($"op {op} appears {counts.GetValueOrDefault(op)} times, expected {n} for {layers} layers");
        // Two layer norms per layer, each with one Rsqrt; one more Rsqrt in the final L2 normalization.
        if (counts.GetValueOrDefault("Rsqrt") != 2 * layers + 1)
            problems.Add($"op Rsqrt appears {counts.GetValueOrDefault("Rsqrt")} times, expected {2 * layers + 1} (layer norms and L2 normalization)");
        if (problems.Count > 0)
            throw new CadreException($"{source}: the graph is not the USE-lite encoder Cadre implements: {string.Join("; ", problems)}");
    }
}
