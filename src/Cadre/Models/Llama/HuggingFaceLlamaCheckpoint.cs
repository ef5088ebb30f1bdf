using System.Text.Json;
using System.Text.Json.Nodes;
using Cadre.Tensors;

namespace Cadre.Models.Llama;

/// <summary>
/// A Hugging Face Llama folder: config.json plus model.safetensors, or model.safetensors.index.json whose
/// <c>weight_map</c> names the shard holding each tensor. Tensors are read one at a time from memory-mapped files
/// and converted to float32 as they are copied in, so loading never holds a second copy of the model.
/// </summary>
internal static class HuggingFaceLlamaCheckpoint
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The weights file (index or single) of a folder that has config.json, or null.</summary>
    public static string? FindWeights(string folder)
    {
        if (!File.Exists(Path.Combine(folder, "config.json")))
            return null;
        return new[] { IndexFile, SingleFile }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
    }

    public static LlamaLoadPlan Plan(string folder, string weights)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
            throw new CadreException($"{folder}: config.json is missing beside {Path.GetFileName(weights)}");
        var config = LlamaConfigJson.Read(configPath);
        var shards = weights.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase) ? ReadIndex(weights) : [weights];
        // Older exports store RoPE's inv_freq; a tied model may still carry a copy of the embeddings as lm_head.
        bool Ignore(string name) => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
            || config.TieWordEmbeddings && name == "lm_head.weight";
        return new LlamaLoadPlan(config, folder, $"Hugging Face checkpoint {weights}", PreferBinTokenizer: false,
            target => Fill(shards, target), Ignore);
    }

    private static void Fill(IReadOnlyList<string> shards, CheckpointTarget target)
    {
        foreach (var shard in shards)
        {
            using var reader = SafetensorsReader.Open(shard);
            foreach (var info in reader.Tensors)
            {
                if (!target.Expects(info.Name))
                    continue;
                using var tensor = reader.ReadTensor(info.Name);
                target.Copy(info.Name, tensor);
            }
        }
    }

    /// <summary>The distinct shard files of an index, in order of first mention; each must sit beside the index.</summary>
    private static List<string> ReadIndex(string index)
    {
        JsonObject? map;
        try
        {
            map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"] as JsonObject;
        }
        catch (JsonException e)
        {
            throw new CadreException($"{index}: not valid JSON ({e.Message})", e);
        }
        if (map is null || map.Count == 0)
            throw new CadreException($"{index}: no weight_map object naming the shard of each tensor");
        var folder = Path.GetDirectoryName(index)!;
        var files = new List<string>();
        foreach (var (name, value) in map)
        {
            var file = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (file is null || file != Path.GetFileName(file) || !file.EndsWith(".safetensors", StringComparison.Ordinal))
                throw new CadreException($"{index}: weight_map['{CadreException.Shown(name)}'] must name a .safetensors file beside the index, not {CadreException.Shown(value?.ToJsonString() ?? "null")}");
            if (!files.Contains(file))
                files.Add(file);
        }
        var missing = files.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        if (missing.Count > 0)
            throw new CadreException($"{index}: shard files missing beside it: {string.Join(", ", missing)}");
        return files.Select(f => Path.Combine(folder, f)).ToList();
    }
}
