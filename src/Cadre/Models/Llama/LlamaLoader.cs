using Cadre.Tokenizers;

namespace Cadre.Models.Llama;

/// <summary>What a path holds and how to fill a model from it, decided before any weight is read.</summary>
/// <param name="Fill">Streams every tensor into the target.</param>
/// <param name="Ignore">Checkpoint names the model has no use for (a tied lm_head, stored RoPE tables).</param>
internal sealed record LlamaLoadPlan(LlamaConfig Config, string Folder, string Source, bool PreferBinTokenizer,
    Action<CheckpointTarget> Fill, Func<string, bool> Ignore);

/// <summary>Finds what a path holds (Hugging Face folder, llama2.c .bin, or a pickle to refuse) and loads it.</summary>
internal static class LlamaLoader
{
    public static LlamaModel Load(string path, string? tokenizerPath)
    {
        path = Path.GetFullPath(path);
        var plan = Directory.Exists(path) ? PlanFolder(path)
            : File.Exists(path) ? PlanFile(path)
            : throw new CadreException($"{path}: no such file or folder");
        var tokenizer = tokenizerPath is not null
            ? LoadTokenizer(Path.GetFullPath(tokenizerPath), plan.Config)
            : FindTokenizer(plan.Folder, plan.PreferBinTokenizer, plan.Config);
        var model = new LlamaModel(plan.Config, tokenizer, plan.Source);
        try
        {
            var target = new CheckpointTarget(model.Module, plan.Source, plan.Ignore);
            plan.Fill(target);
            target.Complete();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static LlamaLoadPlan PlanFolder(string folder)
    {
        var hf = HuggingFaceLlamaCheckpoint.FindWeights(folder);
        if (hf is not null)
            return HuggingFaceLlamaCheckpoint.Plan(folder, hf);
        var bins = Directory.EnumerateFiles(folder, "*.bin").Where(f => !PickleCheckpoints.IsPickle(f)).Order(StringComparer.Ordinal)
            .Select(f => (File: f, Header: Llama2cCheckpoint.TryReadHeader(f, out _))).Where(x => x.Header is not null).ToList();
        if (bins.Count == 1)
            return PlanLlama2c(bins[0].File, bins[0].Header!);
        if (bins.Count > 1)
            throw new CadreException($"{folder}: holds several llama2.c checkpoints ({string.Join(", ", bins.Select(b => Path.GetFileName(b.File)))}); name the one to load");
        var pickle = Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).FirstOrDefault(PickleCheckpoints.IsPickle);
        if (pickle is not null)
            throw PickleCheckpoints.Refusal(pickle);
        throw new CadreException($"{folder}: no Llama weights found: expected config.json with model.safetensors (or model.safetensors.index.json), or a llama2.c .bin checkpoint");
    }

    private static LlamaLoadPlan PlanFile(string file)
    {
        PickleCheckpoints.ThrowIfPickle(file);
        if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase))
            return HuggingFaceLlamaCheckpoint.Plan(Path.GetDirectoryName(file)!, file);
        var header = Llama2cCheckpoint.TryReadHeader(file, out var error) ?? throw new CadreException(error);
        return PlanLlama2c(file, header);
    }

    private static LlamaLoadPlan PlanLlama2c(string file, Llama2cCheckpoint.Header header) =>
        new(header.Config, Path.GetDirectoryName(file)!, $"llama2.c v{header.Version} checkpoint {file}", PreferBinTokenizer: true,
            target => Llama2cCheckpoint.LoadInto(file, header, target), _ => false);

    /// <summary>
    /// The first tokenizer beside the weights that reads and fits the vocabulary: llama2.c's tokenizer.bin /
    /// tok*.bin first for a .bin checkpoint (what run.c reads), SentencePiece's tokenizer.model / *.model first
    /// otherwise. None found is not an error: the model still computes logits, only text generation needs one.
    /// </summary>
    internal static SentencePieceBpeTokenizer? FindTokenizer(string folder, bool preferBin, LlamaConfig config)
    {
        var models = Candidates(folder, "tokenizer.model", "*.model");
        var bins = Candidates(folder, "tokenizer.bin", "tok*.bin").Where(Llama2cTokenizerFile.LooksLikeOne);
        foreach (var candidate in preferBin ? bins.Concat(models) : models.Concat(bins))
        {
            try
            {
                return LoadTokenizer(candidate, config);
            }
            catch (CadreException)
            {
                // Not one this reader understands (a unigram model) or not this model's: try the next one.
            }
        }
        return null;
    }

    internal static SentencePieceBpeTokenizer LoadTokenizer(string path, LlamaConfig config)
    {
        var tokenizer = SentencePieceBpeTokenizer.Load(path);
        return tokenizer.VocabularySize <= config.VocabSize
            ? tokenizer
            : throw new CadreException($"{path}: the tokenizer has {tokenizer.VocabularySize} pieces, more than the model's vocab_size of {config.VocabSize}");
    }

    private static IEnumerable<string> Candidates(string folder, string preferred, string pattern)
    {
        var first = Path.Combine(folder, preferred);
        var rest = Directory.EnumerateFiles(folder, pattern).Where(f => f != first).Order(StringComparer.Ordinal);
        return File.Exists(first) ? rest.Prepend(first) : rest;
    }
}
