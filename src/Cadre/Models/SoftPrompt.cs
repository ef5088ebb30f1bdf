using static TorchSharp.torch;

namespace Cadre.Models;

/// <summary>
/// An encoder's soft prompt settings: the attention width of each layer (which deep prompts need), and the prompt a
/// training run attaches to a model of its own: input vectors (P, E) that go before every text's token embeddings
/// (prompt tuning), or deep prompts (P-tuning v2, prefix tuning without a reparameterization): per layer, P trainable
/// keys and values that every position attends to, laid out as PEFT's <c>PREFIX_TUNING</c> <c>prompt_embeddings</c>
/// (P, L · 2 · W): layer i's keys are columns [2i·W, 2i·W + W), its values the next W. The owner of the tensors (the
/// prompt adapter) sets and clears them. A shared base never holds a prompt here: each pass brings its own in its
/// <see cref="ForwardContext"/>, and <see cref="Resolve"/> turns an attached prompt into one.
/// </summary>
public sealed class SoftPrompt
{
    /// <summary>The attention width W of each layer, set by the base (deep prompts need it).</summary>
    public IReadOnlyList<long> LayerWidths { get; init; } = [];

    /// <summary>The attached input prompt (P, E) shared by every row, or null.</summary>
    public Tensor? Vectors { get; set; }

    /// <summary>The attached deep prompts (P, Σ 2·W_i) shared by every row, or null.</summary>
    public Tensor? Prefixes { get; set; }

    /// <summary>Positions the attached input prompt adds before the text (deep prompts add none).</summary>
    public long Length => Vectors is null ? 0 : Vectors.shape[^2];

    /// <summary>Key positions the attached deep prompts add before the text at every layer.</summary>
    public long PrefixLength => Prefixes is null ? 0 : Prefixes.shape[^2];

    /// <summary>Columns a deep prompt needs: keys and values for every layer.</summary>
    public long PrefixWidth => 2 * LayerWidths.Sum();

    /// <summary>
    /// The context a pass runs with: the caller's (<see cref="ForwardContext.None"/> for null), carrying the attached
    /// prompt when one is attached. A pass that brings prompts of its own cannot run on a base with one attached.
    /// </summary>
    public ForwardContext Resolve(ForwardContext? context)
    {
        context ??= ForwardContext.None;
        if (Vectors is null && Prefixes is null)
            return context;
        if (context.Prompt is not null)
            throw new InvalidOperationException("this pass brings soft prompts of its own, but the base carries an attached one");
        return context with { Prompt = new PromptBatch(LayerWidths) { Vectors = Vectors, Prefixes = Prefixes } };
    }
}
