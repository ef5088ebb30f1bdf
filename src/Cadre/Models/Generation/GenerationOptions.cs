namespace Cadre.Models.Generation;

/// <summary>
/// How to continue a prompt. The defaults are llama2.c's: temperature 1.0, top-p 0.9, 256 new tokens, a random
/// seed. <see cref="Greedy"/> gives deterministic argmax decoding.
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Tokens to generate at most; generation also stops at the end of the model's context.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>Divides the logits before sampling; 0 means greedy (argmax, no randomness).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling: draw from the most likely tokens whose probabilities sum past this; 1 turns it off.</summary>
    public double TopP { get; init; } = 0.9;

    /// <summary>
    /// Seeds the sampler: llama2.c's xorshift64* generator, so a seed gives the same tokens here as
    /// <c>run model.bin -t T -p P -s SEED</c> (up to float rounding of the logits). Null picks a random seed, which
    /// the result reports. Must not be 0 (xorshift would stay at 0).
    /// </summary>
    public ulong? Seed { get; init; }

    /// <summary>Stop at an end-of-sequence token or at BOS (which, as in llama2.c, starts a new sequence).</summary>
    public bool StopAtEos { get; init; } = true;

    public static GenerationOptions Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens, Temperature = 0 };

    /// <summary>Every problem at once, each naming its option.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxNewTokens < 0)
            errors.Add($"max new tokens must be 0 or more, not {MaxNewTokens}");
        if (!(Temperature >= 0) || !double.IsFinite(Temperature))
            errors.Add($"temperature must be 0 (greedy) or positive, not {Temperature}");
        if (!(TopP > 0 && TopP <= 1))
            errors.Add($"top-p must be in (0, 1], not {TopP}");
        if (Seed == 0)
            errors.Add("seed must not be 0");
        return errors;
    }
}

public enum StopReason
{
    /// <summary>The model produced an end-of-sequence token (or BOS).</summary>
    EndOfSequence,

    /// <summary><see cref="GenerationOptions.MaxNewTokens"/> were generated.</summary>
    MaxNewTokens,

    /// <summary>The sequence reached the model's context length.</summary>
    ContextFull,
}

/// <param name="Text">The continuation only (the prompt is not repeated), as streamed.</param>
/// <param name="TokenIds">The generated ids, without the stop token.</param>
/// <param name="Seed">The sampler's seed, to reproduce a run that asked for a random one; null when greedy.</param>
public sealed record GenerationResult(string Text, IReadOnlyList<int> PromptIds, IReadOnlyList<int> TokenIds, StopReason Reason, ulong? Seed);
