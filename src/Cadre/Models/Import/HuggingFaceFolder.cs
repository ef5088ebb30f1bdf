using System.Text.Json;

namespace Cadre.Models.Import;

/// <summary>
/// Stages a Hugging Face model folder (or a llama2.c checkpoint) for import: copies what loading needs — config,
/// safetensors weights, tokenizer and sentence-transformers files — and nothing pickled. Symbolic links are
/// followed (the Hugging Face cache is made of them), so the store holds real files.
/// </summary>
internal static class HuggingFaceFolder
{
    private static readonly string[] Skipped = [".onnx", ".h5", ".msgpack", ".ot", ".gguf", ".tflite", ".pb"];

    /// <summary>Copies the folder's loadable files into <paramref name="staging"/>; returns the architecture.</summary>
    public static string Stage(string folder, string staging)
    {
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config))
        {
            var bin = Directory.EnumerateFiles(folder, "*.bin").Where(f => !PickleCheckpoints.IsPickle(f))
                .FirstOrDefault(f => Llama.Llama2cCheckpoint.TryReadHeader(f, out _) is not null);
            if (bin is not null)
                return StageLlama2c(bin, staging);
            var pickle = Directory.EnumerateFiles(folder).FirstOrDefault(PickleCheckpoints.IsPickle);
            if (pickle is not null)
                throw PickleCheckpoints.Refusal(pickle);
            throw new CadreException($"{folder}: no config.json, USE-lite model.json or llama2.c checkpoint to import");
        }
        var architecture = Architecture(config);
        var hasSafetensors = Directory.EnumerateFiles(folder, "*.safetensors").Any()
                             || File.Exists(Path.Combine(folder, "model.safetensors.index.json"));
        if (!hasSafetensors)
        {
            var pickle = Directory.EnumerateFiles(folder).FirstOrDefault(PickleCheckpoints.IsPickle);
            throw pickle is not null ? PickleCheckpoints.Refusal(pickle)
                : new CadreException($"{folder}: no model.safetensors to load weights from");
        }
        Copy(folder, staging, depth: 0);
        return architecture;
    }

    /// <summary>A llama2.c checkpoint with the tokenizer beside it (tokenizer.bin, tok*.bin or a SentencePiece .model).</summary>
    public static string StageLlama2c(string bin, string staging)
    {
        if (Llama.Llama2cCheckpoint.TryReadHeader(bin, out var error) is null)
            throw new CadreException($"{bin}: not a llama2.c checkpoint ({error})");
        File.Copy(bin, Path.Combine(staging, Path.GetFileName(bin)));
        var folder = Path.GetDirectoryName(bin)!;
        foreach (var t in Directory.EnumerateFiles(folder))
        {
            var n = Path.GetFileName(t);
            if (n.EndsWith(".model", StringComparison.Ordinal) || n == "tokenizer.bin"
                || (n.StartsWith("tok", StringComparison.Ordinal) && n.EndsWith(".bin", StringComparison.Ordinal)))
                File.Copy(t, Path.Combine(staging, n), overwrite: true);
        }
        return "llama";
    }

    private static string Architecture(string config)
    {
        string? type;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
            type = doc.RootElement.TryGetProperty("model_type", out var t) ? t.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new CadreException($"{config}: not valid JSON ({e.Message})");
        }
        return type switch
        {
            "bert" => "bert",
            "roberta" => "roberta",
            "xlm-roberta" => "xlm_roberta",
            "llama" => "llama",
            null => throw new CadreException($"{config}: no model_type"),
            _ => throw new CadreException($"{config}: model_type '{type}' is not supported (bert, roberta, xlm-roberta, llama)"),
        };
    }

    private static void Copy(string from, string to, int depth)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.') || PickleCheckpoints.IsPickle(file)
                || Skipped.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
                continue;
            // llama2.c weights next to safetensors would be a second copy of the same model.
            if (name.EndsWith(".bin", StringComparison.Ordinal) && Llama.Llama2cCheckpoint.TryReadHeader(file, out _) is not null)
                continue;
            File.Copy(file, Path.Combine(to, name));
        }
        if (depth >= 2)
            return;
        foreach (var dir in Directory.EnumerateDirectories(from))
            if (!Path.GetFileName(dir).StartsWith('.'))
                Copy(dir, Path.Combine(to, Path.GetFileName(dir)), depth + 1);
    }
}
