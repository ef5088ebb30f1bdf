using Cadre.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Generation;

/// <summary>
/// Autoregressive decoding with a key/value cache: one forward pass over the whole prompt (prefill), then one pass
/// per new token over that token alone. Runs under no_grad with batch size 1; each step owns a dispose scope, so
/// memory stays flat however many tokens are generated. The cache is sized for prompt + MaxNewTokens positions,
/// capped at the model's context length.
/// </summary>
public static class TextGenerator
{
    /// <summary>Encodes <paramref name="prompt"/> after BOS (an empty prompt is BOS alone) and continues it.</summary>
    public static GenerationResult Generate(ICausalLanguageModel model, SentencePieceBpeTokenizer tokenizer, string prompt,
        GenerationOptions options, Action<string>? onText = null) =>
        Generate(model, tokenizer, tokenizer.Encode(prompt, addBos: true, addEos: false), options, onText);

    /// <summary>
    /// Continues <paramref name="promptIds"/> (usually starting with BOS). <paramref name="onText"/> receives each
    /// token's text as soon as it is complete; a character spread over several byte tokens arrives whole.
    /// </summary>
    public static GenerationResult Generate(ICausalLanguageModel model, SentencePieceBpeTokenizer tokenizer, IReadOnlyList<int> promptIds,
        GenerationOptions options, Action<string>? onText = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new CadreException("invalid generation options: " + string.Join("; ", errors));
        if (promptIds.Count == 0)
            throw new CadreException("the prompt has no tokens: start it with BOS");
        if (promptIds.Count >= model.ContextLength)
            throw new CadreException($"the prompt has {promptIds.Count} tokens; the model's context holds {model.ContextLength}, leaving no room to generate");
        if (promptIds.Where(id => id < 0 || id >= model.VocabularySize).Select(id => (int?)id).FirstOrDefault() is { } bad)
            throw new CadreException($"prompt token {bad} is outside the model's vocabulary of {model.VocabularySize}");

        var seed = options.Temperature == 0 ? (ulong?)null : options.Seed ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        var sampler = new TokenSampler(options.Temperature, options.TopP, seed ?? 1);
        var stops = StopIds(model, tokenizer, options);
        var capacity = Math.Min(promptIds.Count + options.MaxNewTokens, model.ContextLength);
        var generated = new List<int>();
        var text = new System.Text.StringBuilder();
        var stream = new TokenTextStream(tokenizer, promptIds[^1]);
        var reason = StopReason.MaxNewTokens;

        if (options.MaxNewTokens == 0)
            return new GenerationResult("", promptIds.ToArray(), [], StopReason.MaxNewTokens, seed);
        using var noGrad = no_grad();
        using var cache = model.CreateCache(batchSize: 1, capacity);
        var logits = NextLogits(model, promptIds.Select(i => (long)i).ToArray(), cache);
        while (generated.Count < options.MaxNewTokens)
        {
            var next = sampler.Sample(logits);
            if (stops.Contains(next))
            {
                reason = StopReason.EndOfSequence;
                break;
            }
            generated.Add(next);
            Emit(stream.Append(next), text, onText);
            if (generated.Count == options.MaxNewTokens)
                break;
            if (cache.Length == model.ContextLength)
            {
                reason = StopReason.ContextFull;
                break;
            }
            logits = NextLogits(model, [next], cache);
        }
        Emit(stream.Flush(), text, onText);
        return new GenerationResult(text.ToString(), promptIds.ToArray(), generated, reason, seed);
    }

    /// <summary>Feeds <paramref name="ids"/> after what the cache holds; returns the last position's logits.</summary>
    private static float[] NextLogits(ICausalLanguageModel model, long[] ids, IKeyValueCache cache)
    {
        using var scope = NewDisposeScope();
        var input = tensor(ids, [1, ids.Length]);                  // (1, T)
        var logits = model.Forward(input, cache, lastPositionOnly: true); // (1, 1, V)
        return logits[0, -1].to_type(ScalarType.Float32).data<float>().ToArray(); // (V,)
    }

    private static HashSet<int> StopIds(ICausalLanguageModel model, SentencePieceBpeTokenizer tokenizer, GenerationOptions options)
    {
        if (!options.StopAtEos)
            return [];
        var ids = new HashSet<int>(model.StopTokenIds) { tokenizer.EosId, tokenizer.BosId };
        ids.Remove(-1);
        return ids;
    }

    private static void Emit(string chunk, System.Text.StringBuilder text, Action<string>? onText)
    {
        if (chunk.Length == 0)
            return;
        text.Append(chunk);
        onText?.Invoke(chunk);
    }
}
