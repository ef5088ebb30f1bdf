using System.Text.Json;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Bert;

/// <summary>The tiny checkpoints and reference outputs written by tools/reference/bert/make_golden.py.</summary>
internal static class BertGolden
{
    public static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, "golden", "bert", name);

    public static JsonElement Outputs(string name) =>
        JsonDocument.Parse(File.ReadAllText(Folder(name + "_outputs.json"))).RootElement;

    public static Tensor Longs(JsonElement rows)
    {
        var data = rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        return tensor(data.SelectMany(r => r).ToArray(), [data.Length, data[0].Length], int64); // (B, T)
    }

    public static Tensor Floats(JsonElement values, params long[] shape) =>
        tensor(values.EnumerateArray().Select(v => v.GetSingle()).ToArray(), shape, float32);

    public static double MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    /// <summary>Every tensor of a safetensors file, owned by the caller's dispose scope.</summary>
    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name), StringComparer.Ordinal);
    }
}
