namespace Cadre.Tokenizers;

/// <summary>One encoded text (or text pair): token ids with special tokens, and their segment (token type) ids.</summary>
public sealed record EncodedText(IReadOnlyList<int> Ids, IReadOnlyList<int> TypeIds);

/// <summary>
/// Encoded texts padded to a common length, ready to become (B, T) int64 tensors: row-major arrays of
/// <see cref="BatchSize"/> × <see cref="Length"/>. Padding is on the right; <see cref="AttentionMask"/> is 1 on real
/// tokens and 0 on padding.
/// </summary>
public sealed class EncodedBatch
{
    private EncodedBatch(int batchSize, int length, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int[] lengths)
    {
        BatchSize = batchSize;
        Length = length;
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        Lengths = lengths;
    }

    public int BatchSize { get; }

    /// <summary>Padded length T: the longest row.</summary>
    public int Length { get; }

    /// <summary>(B, T) token ids.</summary>
    public long[] InputIds { get; }

    /// <summary>(B, T) 1 for tokens, 0 for padding.</summary>
    public long[] AttentionMask { get; }

    /// <summary>(B, T) segment ids: 0 for the first text, 1 for a pair's second.</summary>
    public long[] TokenTypeIds { get; }

    /// <summary>(B) unpadded length of each row.</summary>
    public int[] Lengths { get; }

    /// <summary>Pads <paramref name="rows"/> to the longest with <paramref name="padId"/> (type 0, mask 0).</summary>
    public static EncodedBatch Pad(IReadOnlyList<EncodedText> rows, int padId)
    {
        var length = rows.Count == 0 ? 0 : rows.Max(r => r.Ids.Count);
        var ids = new long[rows.Count * length];
        var mask = new long[ids.Length];
        var types = new long[ids.Length];
        var lengths = new int[rows.Count];
        Array.Fill(ids, padId);
        for (var b = 0; b < rows.Count; b++)
        {
            var row = rows[b];
            if (row.TypeIds.Count != row.Ids.Count)
                throw new ArgumentException($"row {b}: {row.Ids.Count} ids but {row.TypeIds.Count} type ids", nameof(rows));
            lengths[b] = row.Ids.Count;
            for (var t = 0; t < row.Ids.Count; t++)
            {
                ids[b * length + t] = row.Ids[t];
                mask[b * length + t] = 1;
                types[b * length + t] = row.TypeIds[t];
            }
        }
        return new EncodedBatch(rows.Count, length, ids, mask, types, lengths);
    }
}
