using System.Text.Json;

namespace Cadre.Tests.Models.UseLite;

/// <summary>The committed reference outputs (tools/reference/golden/use-lite, made by make_golden.js).</summary>
internal sealed class UseLiteGolden
{
    public required string[] Texts { get; init; }
    public required int[][] Ids { get; init; }
    public required float[][] Embeddings { get; init; }

    public static UseLiteGolden Load()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "golden", "use-lite");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "golden.json")));
        var sentences = doc.RootElement.GetProperty("sentences").EnumerateArray().ToList();
        var dim = doc.RootElement.GetProperty("dimension").GetInt32();
        var raw = File.ReadAllBytes(Path.Combine(folder, "embeddings.f32"));
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray();
        return new UseLiteGolden
        {
            Texts = sentences.Select(s => s.GetProperty("text").GetString()!).ToArray(),
            Ids = sentences.Select(s => s.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray(),
            Embeddings = Enumerable.Range(0, sentences.Count).Select(i => floats.AsSpan(i * dim, dim).ToArray()).ToArray(),
        };
    }
}
