using System.Text.Json;

namespace Cadre.Hub;

/// <summary>
/// The files of a repository a Cadre base import reads, and no others: config.json and generation_config.json,
/// the tokenizer's files, the safetensors weights (model.safetensors, or the index and exactly the shards it names),
/// and a sentence-transformers pipeline's modules.json with its modules' folders. Other weights formats (pickles,
/// TensorFlow, Flax, ONNX, GGUF), READMEs and the like stay on the Hub. A repository whose weights exist only as
/// pickles is refused before anything is downloaded: a pickle can run code when it is loaded, so it is never fetched.
/// <para>modules.json and the index decide what else is needed, so they are read first, through <c>read</c>.</para>
/// </summary>
internal static class HubFileSelection
{
    public const string Config = "config.json";
    public const string Modules = "modules.json";
    public const string SingleWeights = "model.safetensors";
    public const string Index = "model.safetensors.index.json";

    /// <summary>Files read beside config.json when present: the model's and the tokenizer's settings and vocabularies.</summary>
    private static readonly string[] Beside =
    [
        "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.txt", "vocab.json", "merges.txt", "tokenizer.model", "sentence_bert_config.json", "config_sentence_transformers.json",
    ];

    private static readonly string[] PickleSuffixes = [".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"];
    private static readonly string[] OtherFormats = [".h5", ".msgpack", ".onnx", ".gguf", ".ot", ".tflite", ".pb"];

    /// <param name="files">every file of the repository at the commit</param>
    /// <param name="read">the content of a small file of <paramref name="files"/> (fetched into the cache if need be)</param>
    /// <param name="revision">the revision asked for, for errors</param>
    public static IReadOnlyList<HubFile> Select(IReadOnlyList<HubFile> files, Func<HubFile, byte[]> read, HubRepoId repo, string revision)
    {
        var where = $"{repo} (revision {revision})";
        var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var chosen = new List<HubFile>();
        void Take(string path)
        {
            if (byPath.TryGetValue(path, out var file) && !chosen.Contains(file))
                chosen.Add(file);
        }

        // A sentence-transformers pipeline: the Transformer module may live in a folder (0_Transformer/), the others beside it.
        var transformer = "";
        if (byPath.TryGetValue(Modules, out var modules))
        {
            Take(Modules);
            foreach (var (type, path) in ModuleEntries(read(modules), where))
            {
                if (type.EndsWith(".Transformer", StringComparison.Ordinal))
                    transformer = path;
                else if (path.Length > 0)
                    foreach (var f in files.Where(f => f.Folder == path && !f.Name.StartsWith('.') && !IsPickle(f.Name) && !IsOther(f.Name)))
                        Take(f.Path);
            }
        }
        string In(string name) => transformer.Length == 0 ? name : $"{transformer}/{name}";

        if (!byPath.ContainsKey(In(Config)))
            throw new CadreException($"{where} has no {In(Config)}: cadre base pull takes Hugging Face model repositories "
                + "(config.json with safetensors weights); for a llama2.c checkpoint, download its .bin and use cadre base import FILE.bin");
        Take(In(Config));
        foreach (var name in Beside)
            Take(In(name));
        foreach (var f in files.Where(f => f.Folder == transformer && f.Name.EndsWith(".model", StringComparison.Ordinal)))
            Take(f.Path); // SentencePiece models under other names (spiece.model, sentencepiece.bpe.model)
        foreach (var name in Beside.Where(n => n.Contains("sentence", StringComparison.Ordinal)))
            Take(name);

        if (byPath.ContainsKey(In(SingleWeights)))
            Take(In(SingleWeights));
        else if (byPath.TryGetValue(In(Index), out var index))
        {
            Take(index.Path);
            foreach (var shard in Shards(read(index), where))
                Take(byPath.ContainsKey(In(shard)) ? In(shard)
                    : throw new CadreException($"{where}: {index.Path} names the shard {shard}, which the repository does not have"));
        }
        else
            throw NoSafetensors(files.Where(f => f.Folder == transformer).ToList(), repo, where);
        return chosen;
    }

    /// <summary>Names that say "pickle": what a pull never downloads.</summary>
    public static bool IsPickle(string name) => PickleSuffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    private static bool IsOther(string name) => OtherFormats.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    private static CadreException NoSafetensors(List<HubFile> folder, HubRepoId repo, string where)
    {
        var pickles = folder.Where(f => IsPickle(f.Name)).Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
        if (pickles.Count > 0)
            return new CadreException(
                $"{where} has its weights only as PyTorch pickles ({string.Join(", ", pickles.Take(3))}{(pickles.Count > 3 ? ", ..." : "")}), "
                + "which Cadre never downloads nor unpickles (loading a pickle can run arbitrary code). Convert them to safetensors: "
                + $"at https://huggingface.co/spaces/safetensors/convert enter {repo} (it opens a pull request adding model.safetensors), "
                + $"then run cadre base pull {repo} --revision refs/pr/N with that pull request's number; or, in Python, where you trust the files: "
                + $"python -c \"from transformers import AutoModel; AutoModel.from_pretrained('{repo}').save_pretrained('converted', safe_serialization=True)\" "
                + "then cadre base import converted --name NAME");
        var other = folder.FirstOrDefault(f => IsOther(f.Name));
        return new CadreException(other is not null
            ? $"{where} has weights as {other.Name} but not as safetensors (model.safetensors or {Index}), the only weights Cadre reads"
            : $"{where} has no {SingleWeights} (nor {Index}) to load weights from");
    }

    private static IEnumerable<(string Type, string Path)> ModuleEntries(byte[] json, string where)
    {
        using var document = Parse(json, Modules, where);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw new CadreException($"{where}: {Modules} is not a JSON array of modules");
        var entries = new List<(string, string)>();
        foreach (var module in document.RootElement.EnumerateArray())
        {
            var type = module.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            var path = module.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()!.Trim('/') : "";
            if (path.Split('/').Any(part => part is "." or ".."))
                throw new CadreException($"{where}: {Modules} names the module folder '{CadreException.Shown(path)}', outside the repository");
            entries.Add((type, path));
        }
        return entries;
    }

    private static IReadOnlyList<string> Shards(byte[] json, string where)
    {
        using var document = Parse(json, Index, where);
        if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new CadreException($"{where}: {Index} has no weight_map object");
        var shards = map.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "")
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var bad = shards.FirstOrDefault(s => s.Length == 0 || s.Contains('/') || s.Contains('\\') || !s.EndsWith(".safetensors", StringComparison.Ordinal));
        return bad is null ? shards : throw new CadreException($"{where}: {Index} names '{CadreException.Shown(bad)}', not a safetensors file beside it");
    }

    private static JsonDocument Parse(byte[] json, string name, string where)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CadreException($"{where}: {name} is not valid JSON ({e.Message})", e);
        }
    }
}
