using System.Text.Json;
using Cadre.Tensors;
using Cadre.Util;

namespace Cadre.Models.Import;

/// <summary>
/// Stages a Hugging Face model folder (or a llama2.c checkpoint) for import: copies what loading needs — config,
/// safetensors weights, tokenizer and sentence-transformers files — and nothing pickled. Symbolic links are
/// followed (the Hugging Face cache is made of them), so the store holds real files; but only to regular files: a
/// link to a device or a FIFO is refused before it is read (see <see cref="InputFiles"/>). Every file is checked and
/// sized first, the disk's free space after, and only then is anything copied; safetensors files are copied exactly
/// as long as their headers declare, with their weights checked finite on the way (<see cref="SafetensorsCopy"/>).
/// </summary>
internal static class HuggingFaceFolder
{
    private static readonly string[] Skipped = [".onnx", ".h5", ".msgpack", ".ot", ".gguf", ".tflite", ".pb"];

    /// <summary>Copies the folder's loadable files into <paramref name="staging"/>; returns the architecture.</summary>
    public static string Stage(string folder, string staging, string home)
    {
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config))
        {
            var bin = Files(folder).Where(f => f.EndsWith(".bin", StringComparison.Ordinal) && !PickleCheckpoints.IsPickle(f))
                .FirstOrDefault(f => Llama.Llama2cCheckpoint.TryReadHeader(f, out _) is not null);
            if (bin is not null)
                return StageLlama2c(bin, staging, home);
            var pickle = Files(folder).FirstOrDefault(PickleCheckpoints.IsPickle);
            if (pickle is not null)
                throw PickleCheckpoints.Refusal(pickle);
            throw new CadreException($"{folder}: no config.json, USE-lite model.json or llama2.c checkpoint to import");
        }
        var architecture = Architecture(config);
        var hasSafetensors = Files(folder).Any(f => f.EndsWith(".safetensors", StringComparison.Ordinal))
                             || File.Exists(Path.Combine(folder, "model.safetensors.index.json"));
        if (!hasSafetensors)
        {
            var pickle = Files(folder).FirstOrDefault(PickleCheckpoints.IsPickle);
            throw pickle is not null ? PickleCheckpoints.Refusal(pickle)
                : new CadreException($"{folder}: no model.safetensors to load weights from");
        }
        var plan = new List<(string From, string To)>();
        Plan(folder, staging, depth: 0, plan);
        CopyAll(plan, home, folder);
        return architecture;
    }

    /// <summary>A llama2.c checkpoint with the tokenizer beside it (tokenizer.bin, tok*.bin or a SentencePiece .model).</summary>
    public static string StageLlama2c(string bin, string staging, string home)
    {
        InputFiles.RequireRegular(bin);
        if (Llama.Llama2cCheckpoint.TryReadHeader(bin, out var error) is null)
            throw new CadreException($"{bin}: not a llama2.c checkpoint ({error})");
        var plan = new List<(string From, string To)> { (bin, Path.Combine(staging, Path.GetFileName(bin))) };
        foreach (var t in Files(Path.GetDirectoryName(bin)!))
        {
            var n = Path.GetFileName(t);
            if (t != bin && (n.EndsWith(".model", StringComparison.Ordinal) || n == "tokenizer.bin"
                || (n.StartsWith("tok", StringComparison.Ordinal) && n.EndsWith(".bin", StringComparison.Ordinal))))
                plan.Add((t, Path.Combine(staging, n)));
        }
        CopyAll(plan, home, bin);
        return "llama";
    }

    /// <summary>The folder's files that are not hidden, each checked to be (or link to) a regular file before anyone reads it.</summary>
    private static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Select(f =>
        {
            InputFiles.RequireRegular(f);
            return f;
        });

    private static string Architecture(string config)
    {
        InputFiles.RequireRegular(config);
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
            _ => throw new CadreException($"{config}: model_type '{CadreException.Shown(type)}' is not supported (bert, roberta, xlm-roberta, llama)"),
        };
    }

    private static void Plan(string from, string to, int depth, List<(string From, string To)> plan)
    {
        foreach (var file in Files(from))
        {
            var name = Path.GetFileName(file);
            if (PickleCheckpoints.IsPickle(file) || Skipped.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
                continue;
            // llama2.c weights next to safetensors would be a second copy of the same model.
            if (name.EndsWith(".bin", StringComparison.Ordinal) && Llama.Llama2cCheckpoint.TryReadHeader(file, out _) is not null)
                continue;
            plan.Add((file, Path.Combine(to, name)));
        }
        if (depth >= 2)
            return;
        foreach (var dir in Directory.EnumerateDirectories(from))
            if (!Path.GetFileName(dir).StartsWith('.'))
                Plan(dir, Path.Combine(to, Path.GetFileName(dir)), depth + 1, plan);
    }

    /// <summary>
    /// Sizes every file (a safetensors file by its validated header), checks that the disk holds the staged copy and
    /// the store's copy of it, then copies.
    /// </summary>
    private static void CopyAll(List<(string From, string To)> plan, string home, string what)
    {
        long bytes = 0;
        foreach (var (from, _) in plan)
            bytes += IsSafetensors(from) ? SafetensorsCopy.DeclaredLength(from, from) : new FileInfo(from).Length;
        InputFiles.RequireFreeSpace(home, 2 * bytes, what);
        foreach (var (from, to) in plan)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            if (IsSafetensors(from))
                SafetensorsCopy.Copy(from, to, from);
            else
                File.Copy(from, to);
        }
    }

    private static bool IsSafetensors(string path) => path.EndsWith(".safetensors", StringComparison.Ordinal);
}
