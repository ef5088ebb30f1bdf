using System.Text.Json;
using Cadre.Util;

namespace Cadre.Models.Bert;

/// <summary>
/// Finds the files of a Hugging Face (or sentence-transformers) BERT folder: where the transformer lives, which
/// safetensors files hold its weights, and whether it has a WordPiece vocabulary. Pickled checkpoints are refused
/// with the command that converts them: loading a pickle can run arbitrary code, so Cadre never does.
/// </summary>
internal static class BertFolder
{
    private static readonly string[] PickleExtensions = [".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"];
    private static readonly string[] OtherFormats = ["tf_model.h5", "flax_model.msgpack", "model.onnx", "rust_model.ot"];

    /// <summary>
    /// The folder holding config.json and weights: the sentence-transformers Transformer module's path when
    /// <c>modules.json</c> names one (older sentence-transformers saved it in <c>0_Transformer/</c>), else the folder.
    /// </summary>
    public static string TransformerFolder(string directory)
    {
        var modules = Path.Combine(directory, "modules.json");
        if (!File.Exists(modules))
            return directory;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(modules));
            if (document.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var module in document.RootElement.EnumerateArray())
                {
                    if (module.TryGetProperty("type", out var type) && type.GetString()?.EndsWith(".Transformer", StringComparison.Ordinal) == true
                        && module.TryGetProperty("path", out var path) && path.GetString() is { Length: > 0 } relative)
                        return Path.Combine(directory, relative);
                }
            }
        }
        catch (JsonException e)
        {
            throw new CadreException($"modules.json: invalid JSON: {e.Message}", e);
        }
        return directory;
    }

    /// <summary>The safetensors files holding the weights (one, or the shards of model.safetensors.index.json).</summary>
    public static IReadOnlyList<string> WeightFiles(string folder)
    {
        var single = Path.Combine(folder, "model.safetensors");
        if (File.Exists(single))
            return [single];
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index))
            return Shards(folder, index);
        var pickle = Directory.EnumerateFiles(folder)
            .Where(f => PickleExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).Order().FirstOrDefault();
        if (pickle is not null)
            throw new CadreException(PickleMessage(folder, Path.GetFileName(pickle)));
        var other = OtherFormats.FirstOrDefault(f => File.Exists(Path.Combine(folder, f)));
        if (other is not null)
            throw new CadreException($"{Path.Combine(folder, other)}: Cadre reads weights only from safetensors (model.safetensors)");
        throw new CadreException($"{folder}: no model.safetensors (nor model.safetensors.index.json) to load weights from");
    }

    /// <summary>Whether a WordPiece vocabulary is present (RoBERTa's byte-level BPE files are not one).</summary>
    public static bool HasWordPieceVocabulary(string folder)
    {
        if (File.Exists(Path.Combine(folder, "vocab.txt")))
            return true;
        var fast = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(fast))
            return false;
        using var document = JsonDocument.Parse(File.ReadAllBytes(fast));
        return document.RootElement.TryGetProperty("model", out var model)
            && model.TryGetProperty("type", out var type) && type.GetString() == "WordPiece";
    }

    private static string[] Shards(string folder, string index)
    {
        var file = JsonFile.Read(index);
        if (!file.Root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new CadreException("model.safetensors.index.json: weight_map: missing; expected an object of key -> shard file");
        var shards = map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct().Order(StringComparer.Ordinal).ToArray();
        foreach (var shard in shards)
        {
            if (shard.Length == 0 || Path.GetFileName(shard) != shard)
                throw new CadreException($"model.safetensors.index.json: weight_map: '{shard}' is not a file name in the folder");
            if (!File.Exists(Path.Combine(folder, shard)))
                throw new CadreException($"model.safetensors.index.json: shard {shard} is missing from {folder}");
        }
        return [.. shards.Select(s => Path.Combine(folder, s))];
    }

    private static string PickleMessage(string folder, string file) =>
        $"{Path.Combine(folder, file)} is a pickled PyTorch checkpoint. Cadre never unpickles files: loading a pickle "
        + "can run arbitrary code. Convert it to safetensors once, with Python, then load the folder again:\n"
        + $"  python -c \"from transformers import AutoModel; AutoModel.from_pretrained('{folder}').save_pretrained('{folder}', safe_serialization=True)\"\n"
        + "or, without transformers:\n"
        + $"  python -c \"import torch; from safetensors.torch import save_file; save_file(torch.load('{Path.Combine(folder, file)}', map_location='cpu', weights_only=True), '{Path.Combine(folder, "model.safetensors")}', metadata={{'format': 'pt'}})\"";
}
