using System.Buffers.Binary;
using System.Text.Json;
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

    /// <summary>
    /// Reads an all-F32 safetensors file. A deliberately minimal stand-in used until the library's
    /// SafetensorsReader exists; it only parses the files make_golden.py writes.
    /// </summary>
    public static Dictionary<string, Tensor> ReadF32Safetensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
                continue;
            Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var floats = new float[(offsets[1] - offsets[0]) / 4];
            Buffer.BlockCopy(bytes, 8 + headerLength + offsets[0], floats, 0, offsets[1] - offsets[0]);
            result[entry.Name] = tensor(floats, shape, float32);
        }
        return result;
    }
}
