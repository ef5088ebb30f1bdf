using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Models.Bert;

/// <summary>
/// <c>embeddings.*</c>: word + token type + position embeddings, then LayerNorm. Sub-module names are the
/// checkpoint's (<c>word_embeddings</c>, <c>position_embeddings</c>, <c>token_type_embeddings</c>, <c>LayerNorm</c>).
/// </summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are the checkpoint's key segments; TorchSharp registers sub-modules by field name.
#pragma warning disable IDE1006 // snake_case where Hugging Face's key names demand it
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
#pragma warning restore IDE1006
    private readonly BertConfig _config;

    public BertEmbeddings(BertConfig config) : base("embeddings")
    {
        _config = config;
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public Tensor WordTable => word_embeddings.weight!; // (V, H)

    /// <summary>(B, T) ids and (B, T) token types to (B, T, H).</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds) => Forward(inputIds, tokenTypeIds, null);

    /// <summary>
    /// As <see cref="forward"/>, with an optional (P, H) soft prompt put before the word embeddings, as PEFT's
    /// prompt tuning passes <c>inputs_embeds</c>: prompt positions get token type 0 and the first positions.
    /// <paramref name="positionOffset"/> is the deep prompts' prefix length: Hugging Face starts positions after
    /// <c>past_key_values</c>, which is how PEFT's prefix tuning reaches BERT. Returns (B, P + T, H).
    /// </summary>
    /// <param name="promptMask">per-row prompts: (B, P) float, 0 at the left padding of shorter prompts</param>
    /// <param name="rowOffsets">per-row prompts: (B, 1) int64, each row's own deep-prompt length (replaces the offset)</param>
    public Tensor Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? prompt, long positionOffset = 0,
                          Tensor? promptMask = null, Tensor? rowOffsets = null)
    {
        using var scope = NewDisposeScope();
        var words = word_embeddings.call(inputIds);                                        // (B, T, H)
        var positionSource = inputIds;
        if (prompt is not null)
        {
            var (b, p) = (inputIds.shape[0], prompt.shape[^2]);
            var rows = prompt.dim() == 3 ? prompt : prompt.unsqueeze(0).expand(b, p, -1);    // (B, P, H)
            words = cat([rows, words], 1);                                                 // (B, P + T, H)
            tokenTypeIds = cat([zeros(b, p, dtype: tokenTypeIds.dtype, device: tokenTypeIds.device), tokenTypeIds], 1);
            // Prompt positions count as real tokens (any id but the pad id) for RoBERTa-style positions; the left
            // padding of shorter per-row prompts gets the pad id, so it counts as padding.
            var promptIds = promptMask is null ? full(b, p, _config.PadTokenId + 1L, dtype: int64, device: inputIds.device)
                : (promptMask.to(int64) + _config.PadTokenId);                              // (B, P)
            positionSource = cat([promptIds, inputIds], 1);
        }
        // Hugging Face's order of additions, so float rounding matches: (words + types) + positions.
        var x = words + token_type_embeddings.call(tokenTypeIds);                          // (B, T, H)
        var positions = rowOffsets is null ? PositionIds(positionSource, positionOffset) : RowPositionIds(positionSource, promptMask, rowOffsets);
        x = x + position_embeddings.call(positions);                                       // (B, T, H)
        return dropout.call(LayerNorm.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// (B, T) position ids. BERT counts 0..T-1. RoBERTa/XLM-R count real tokens from pad_token_id + 1 and give
    /// padding ids the pad position (<c>create_position_ids_from_input_ids</c>), so they follow the pad ids, not
    /// the attention mask.
    /// </summary>
    /// <summary>
    /// (B, T) position ids when rows carry prompts of their own lengths: each row counts as if alone, starting after
    /// its own deep prompt (<paramref name="offsets"/>, (B, 1)) and skipping the left padding of its input prompt.
    /// </summary>
    private Tensor RowPositionIds(Tensor source, Tensor? promptMask, Tensor offsets)
    {
        if (_config.PositionsFromPadding)
        {
            var real = source.ne(_config.PadTokenId).to(int64);              // (B, T): padding slots are not counted
            return (real.cumsum(1) + offsets) * real + _config.PadTokenId;    // (B, T)
        }
        var shift = promptMask is null ? zeros_like(offsets) : promptMask.shape[1] - promptMask.sum(1, keepdim: true).to(int64); // (B, 1)
        var length = source.shape[1];
        // Padding slots get position 0 (any valid row of the table): they are masked out of attention anyway.
        return (arange(length, dtype: int64, device: source.device).unsqueeze(0) + offsets - shift).clamp_min(0); // (B, T)
    }

    private Tensor PositionIds(Tensor inputIds, long offset)
    {
        var length = inputIds.shape[1];
        if (!_config.PositionsFromPadding)
            return arange(offset, offset + length, dtype: int64, device: inputIds.device).unsqueeze(0).expand(inputIds.shape[0], length); // (B, T)
        var real = inputIds.ne(_config.PadTokenId).to(int64);          // (B, T)
        return (real.cumsum(1) + offset) * real + _config.PadTokenId;    // (B, T)
    }
}
