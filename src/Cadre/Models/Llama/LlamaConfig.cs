namespace Cadre.Models.Llama;

/// <summary>
/// RoPE frequency scaling from <c>rope_scaling</c>: <c>linear</c> (positions divided by <see cref="Factor"/>) or
/// <c>llama3</c> (Llama 3.1+: long wavelengths scaled, short ones kept, a smooth band between).
/// </summary>
public sealed record LlamaRopeScaling(
    string Type,
    double Factor,
    double LowFrequencyFactor = 1,
    double HighFrequencyFactor = 4,
    int OriginalMaxPositionEmbeddings = 8192);

/// <summary>
/// A Llama-family decoder's hyper-parameters, as in Hugging Face's <c>config.json</c> (snake_case names in the
/// comments). Defaults are those of <c>transformers.LlamaConfig</c>, so a config that leaves a field out means what
/// it means there. Read one with <see cref="LlamaConfigJson.Read"/>.
/// </summary>
public sealed record LlamaConfig
{
    public const string ModelTypeName = "llama";

    /// <summary><c>hidden_size</c>: width of the residual stream.</summary>
    public int HiddenSize { get; init; } = 4096;

    /// <summary><c>intermediate_size</c>: width of the SwiGLU MLP.</summary>
    public int IntermediateSize { get; init; } = 11008;

    /// <summary><c>num_hidden_layers</c>.</summary>
    public int NumHiddenLayers { get; init; } = 32;

    /// <summary><c>num_attention_heads</c>: query heads.</summary>
    public int NumAttentionHeads { get; init; } = 32;

    /// <summary><c>num_key_value_heads</c>: fewer than the query heads means grouped-query attention.</summary>
    public int NumKeyValueHeads { get; init; } = 32;

    /// <summary><c>head_dim</c>; when absent, hidden_size / num_attention_heads.</summary>
    public int? ExplicitHeadDim { get; init; }

    /// <summary><c>vocab_size</c>.</summary>
    public int VocabSize { get; init; } = 32000;

    /// <summary><c>max_position_embeddings</c>: the context the model was trained for; generation stops there.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary><c>rope_theta</c>: the RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary><c>rope_scaling</c>, or null for plain RoPE.</summary>
    public LlamaRopeScaling? RopeScaling { get; init; }

    /// <summary><c>hidden_act</c>: the gate's activation; Llama uses <c>silu</c>.</summary>
    public string HiddenAct { get; init; } = "silu";

    /// <summary><c>tie_word_embeddings</c>: the output layer reuses <c>model.embed_tokens.weight</c>.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary><c>attention_bias</c>: q, k, v and o projections carry biases.</summary>
    public bool AttentionBias { get; init; }

    /// <summary><c>mlp_bias</c>: gate, up and down projections carry biases.</summary>
    public bool MlpBias { get; init; }

    /// <summary><c>bos_token_id</c>.</summary>
    public int BosTokenId { get; init; } = 1;

    /// <summary><c>eos_token_id</c>: one id or a list (Llama 3 has several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [2];

    public int HeadDim => ExplicitHeadDim ?? (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);

    /// <summary>Query heads per key/value head.</summary>
    public int KeyValueGroups => NumKeyValueHeads > 0 ? NumAttentionHeads / NumKeyValueHeads : 0;

    /// <summary>Every problem at once, each naming its <c>config.json</c> field; empty when the config is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Positive(long value, string field)
        {
            if (value <= 0)
                errors.Add($"{field} must be positive, not {value}");
        }
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(VocabSize, "vocab_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (NumAttentionHeads > 0 && NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads != 0)
            errors.Add($"num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads})");
        if (ExplicitHeadDim is null && NumAttentionHeads > 0 && HiddenSize % NumAttentionHeads != 0)
            errors.Add($"hidden_size ({HiddenSize}) must be a multiple of num_attention_heads ({NumAttentionHeads}) when head_dim is not given");
        if (HeadDim <= 0 || HeadDim % 2 != 0)
            errors.Add($"head_dim must be positive and even for RoPE, not {HeadDim}");
        if (!(RmsNormEps > 0) || !double.IsFinite(RmsNormEps))
            errors.Add($"rms_norm_eps must be positive, not {RmsNormEps}");
        if (!(RopeTheta > 0) || !double.IsFinite(RopeTheta))
            errors.Add($"rope_theta must be positive, not {RopeTheta}");
        if (HiddenAct is not ("silu" or "swish"))
            errors.Add($"hidden_act '{HiddenAct}' is not supported (Llama uses 'silu')");
        if (BosTokenId < 0 || BosTokenId >= VocabSize)
            errors.Add($"bos_token_id {BosTokenId} is outside the vocabulary of {VocabSize}");
        foreach (var eos in EosTokenIds.Where(id => id < 0 || id >= VocabSize))
            errors.Add($"eos_token_id {eos} is outside the vocabulary of {VocabSize}");
        if (RopeScaling is { } s)
        {
            if (s.Type is not ("linear" or "llama3"))
                errors.Add($"rope_scaling.rope_type '{s.Type}' is not supported (linear, llama3)");
            if (!(s.Factor >= 1))
                errors.Add($"rope_scaling.factor must be at least 1, not {s.Factor}");
            if (s.Type == "llama3" && !(s.HighFrequencyFactor > s.LowFrequencyFactor && s.LowFrequencyFactor > 0 && s.OriginalMaxPositionEmbeddings > 0))
                errors.Add("rope_scaling for llama3 needs 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0");
        }
        return errors;
    }

    /// <summary>Throws one <see cref="CadreException"/> listing every problem, prefixed by where the config came from.</summary>
    public LlamaConfig EnsureValid(string source)
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new CadreException($"{source}: invalid Llama config:\n  " + string.Join("\n  ", errors));
    }
}
