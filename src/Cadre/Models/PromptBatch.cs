using static TorchSharp.torch;

namespace Cadre.Models;

/// <summary>
/// The soft prompts of one forward pass, as the layers read them from its <see cref="ForwardContext"/>: input vectors
/// put before every text's token embeddings, deep prompts prepended to every layer's keys and values (layout as
/// <see cref="SoftPrompt"/>), or both. Each is shared by every row ((P, W), an attached prompt) or one per row
/// ((B, P, W), serving gathers the prompts of the specialists a mixed batch asks for). Rows with prompts of different
/// lengths are left-padded to the longest (<see cref="Gather"/>) and carry a mask, so every row computes what it
/// computes alone. The tensors belong to whoever built the batch.
/// </summary>
/// <param name="LayerWidths">the attention width W of each layer (where each layer's deep prompt columns are)</param>
public sealed record PromptBatch(IReadOnlyList<long> LayerWidths)
{
    /// <summary>Input prompt: (P, E) shared by every row, (B, P, E) one per row, or null.</summary>
    public Tensor? Vectors { get; init; }

    /// <summary>Deep prompts (P, Σ 2·W_i), or (B, P, Σ 2·W_i) one per row, or null.</summary>
    public Tensor? Prefixes { get; init; }

    /// <summary>
    /// Per-row prompts of different lengths in one batch: (B, P) float, 1 at a row's own prompt slots and 0 at the
    /// padding before them (prompts are left-padded, so each row's prompt ends where its text begins). Padding slots
    /// are never attended to and do not count as positions, so every row computes what it computes alone. Null: every
    /// slot is real.
    /// </summary>
    public Tensor? VectorMask { get; init; }

    /// <summary>As <see cref="VectorMask"/>, for <see cref="Prefixes"/>: (B, P) float, 0 at key slots no query may see.</summary>
    public Tensor? PrefixMask { get; init; }

    /// <summary>
    /// The prompts of a mixed batch, row by row: input prompts (P_i, E) and deep prompts (P_i, Σ 2·W) or null for rows
    /// without one, each kind left-padded to its longest (<see cref="LeftPad"/>). Null when no row has a prompt.
    /// Tensors go to the caller's dispose scope.
    /// </summary>
    public static PromptBatch? Gather(IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor?> deep, long tokenWidth, IReadOnlyList<long> layerWidths)
    {
        var input = LeftPad(inputs, tokenWidth);
        var prefixes = LeftPad(deep, 2 * layerWidths.Sum());
        if (input is null && prefixes is null) return null;
        return new PromptBatch(layerWidths)
        {
            Vectors = input?.Prompts, VectorMask = input?.Mask, Prefixes = prefixes?.Prompts, PrefixMask = prefixes?.Mask,
        };
    }

    /// <summary>
    /// Per-row prompts (P_i, W) or null for rows without one, left-padded with zeros to the longest: (B, P, W) and
    /// its (B, P) mask for <see cref="VectorMask"/> or <see cref="PrefixMask"/> (null when every row has a prompt of
    /// the same length: the shared path), or null when no row has one. Tensors go to the caller's dispose scope.
    /// </summary>
    public static (Tensor Prompts, Tensor? Mask)? LeftPad(IReadOnlyList<Tensor?> rows, long width)
    {
        var lengths = rows.Select(p => p?.shape[0] ?? 0).ToArray();
        var longest = lengths.Length == 0 ? 0 : lengths.Max();
        if (longest == 0) return null;
        var prompts = zeros(rows.Count, longest, width);                                 // (B, P, W)
        var mask = zeros(rows.Count, longest);                                           // (B, P)
        for (var i = 0; i < rows.Count; i++)
        {
            if (lengths[i] == 0) continue;
            prompts[i].narrow(0, longest - lengths[i], lengths[i]).copy_(rows[i]!);      // the prompt ends where the text begins
            mask[i].narrow(0, longest - lengths[i], lengths[i]).fill_(1);
        }
        return (prompts, lengths.All(l => l == longest) ? null : mask);
    }

    /// <summary>Whether rows carry prompts of different lengths (masks), so positions are counted per row.</summary>
    public bool PerRow => VectorMask is not null || PrefixMask is not null;

    /// <summary>Per row, the padding slots before the input prompt: (B, 1) int64 (zeros without a mask).</summary>
    public Tensor PromptShift(long rows) => VectorMask is { } m ? (Length - m.sum(1, keepdim: true)).to(ScalarType.Int64) : zeros(rows, 1, ScalarType.Int64);

    /// <summary>Per row, the deep prompt's real length: (B, 1) int64 (the shared length without a mask).</summary>
    public Tensor PrefixLengths(long rows) => PrefixMask is { } m ? m.sum(1, keepdim: true).to(ScalarType.Int64) : full(rows, 1, PrefixLength, ScalarType.Int64);

    /// <summary>(B, 1, 1, P) bool, true at prefix key slots that no query attends to (none without a mask).</summary>
    public Tensor PrefixPadding(long rows) => PrefixMask is { } m ? m.eq(0).view(rows, 1, 1, -1) : zeros(rows, 1, 1, PrefixLength, ScalarType.Bool);

    /// <summary>Positions the input prompt adds before the text (deep prompts add none).</summary>
    public long Length => Vectors is null ? 0 : Vectors.shape[^2];

    /// <summary>Key positions deep prompts add before the text at every layer.</summary>
    public long PrefixLength => Prefixes is null ? 0 : Prefixes.shape[^2];

    /// <summary>The input prompt for a batch of <paramref name="rows"/>: (B, P, E), shared or per row.</summary>
    public Tensor? VectorsFor(long rows) => Vectors is null ? null : Vectors.dim() == 3 ? Vectors : Vectors.unsqueeze(0).expand(rows, -1, -1);

    /// <summary>Layer <paramref name="layer"/>'s prefix keys and values, each (P, W) or per row (B, P, W), or null without deep prompts.</summary>
    public (Tensor Keys, Tensor Values)? PrefixOf(int layer)
    {
        if (Prefixes is null) return null;
        var offset = 2 * LayerWidths.Take(layer).Sum();
        var width = LayerWidths[layer];
        return (Prefixes.narrow(-1, offset, width), Prefixes.narrow(-1, offset + width, width)); // (P, W) or (B, P, W) twice
    }

    /// <summary>
    /// Prepends layer <paramref name="layer"/>'s prefix to keys and values (B, N, T, D) and returns how many key
    /// positions came first (0 without deep prompts); the caller widens its key mask by as many attended slots.
    /// </summary>
    public long Prepend(int layer, ref Tensor keys, ref Tensor values)
    {
        if (PrefixOf(layer) is not { } prefix) return 0;
        var (b, n, p) = (keys.shape[0], keys.shape[1], prefix.Keys.shape[^2]);
        Tensor Heads(Tensor z) => z.dim() == 3
            ? z.view(b, p, n, -1).transpose(1, 2)                                           // (B, N, P, D), one per row
            : z.view(1, p, n, -1).transpose(1, 2).expand(b, -1, -1, -1);                    // (B, N, P, D), shared
        keys = cat([Heads(prefix.Keys), keys], 2);                                          // (B, N, P + T, D)
        values = cat([Heads(prefix.Values), values], 2);                                    // (B, N, P + T, D)
        return p;
    }
}
