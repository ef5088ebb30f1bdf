using Cadre.Util;

namespace Cadre.Models.Bert;

/// <summary>
/// A BERT-family encoder's shape, as Hugging Face's <c>config.json</c> states it. Defaults are those of
/// <c>transformers.BertConfig</c> (bert-base), so a file may leave fields out exactly as it may for Hugging Face.
/// RoBERTa and XLM-R checkpoints are the same network with two differences Cadre handles: position ids count up
/// from <c>pad_token_id + 1</c> (see <see cref="PositionOffset"/>), and token types are normally all 0.
/// </summary>
public sealed record BertConfig
{
    /// <summary><c>model_type</c>: bert (default), roberta or xlm-roberta.</summary>
    public string ModelType { get; init; } = "bert";

    /// <summary><c>vocab_size</c>: rows of the word embedding table (default 30522).</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary><c>hidden_size</c>: width of every token vector (default 768).</summary>
    public int HiddenSize { get; init; } = 768;

    /// <summary><c>num_hidden_layers</c> (default 12).</summary>
    public int NumHiddenLayers { get; init; } = 12;

    /// <summary><c>num_attention_heads</c>; must divide <see cref="HiddenSize"/> (default 12).</summary>
    public int NumAttentionHeads { get; init; } = 12;

    /// <summary><c>intermediate_size</c>: width of the feed-forward layer (default 3072).</summary>
    public int IntermediateSize { get; init; } = 3072;

    /// <summary><c>hidden_act</c>: gelu (exact, erf), gelu_new / gelu_fast / gelu_pytorch_tanh (tanh approximation),
    /// relu, or silu (default gelu).</summary>
    public string HiddenAct { get; init; } = "gelu";

    /// <summary><c>max_position_embeddings</c>: rows of the position table (default 512).</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary><c>type_vocab_size</c>: number of segment (token type) ids (default 2).</summary>
    public int TypeVocabSize { get; init; } = 2;

    /// <summary><c>layer_norm_eps</c> (default 1e-12).</summary>
    public double LayerNormEps { get; init; } = 1e-12;

    /// <summary><c>pad_token_id</c> (default 0; RoBERTa's is 1).</summary>
    public int PadTokenId { get; init; }

    /// <summary><c>hidden_dropout_prob</c>: used only in training mode (default 0.1).</summary>
    public double HiddenDropoutProb { get; init; } = 0.1;

    /// <summary><c>attention_probs_dropout_prob</c>: used only in training mode (default 0.1).</summary>
    public double AttentionProbsDropoutProb { get; init; } = 0.1;

    /// <summary><c>position_embedding_type</c>: only "absolute" (the default) is supported.</summary>
    public string PositionEmbeddingType { get; init; } = "absolute";

    /// <summary>Model types whose checkpoints this encoder loads.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["bert", "roberta", "xlm-roberta"];

    /// <summary>Accepted <c>hidden_act</c> values.</summary>
    public static IReadOnlyList<string> SupportedActivations { get; } =
        ["gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "relu", "silu", "swish"];

    public int HeadDimension => HiddenSize / NumAttentionHeads;

    /// <summary>True for RoBERTa-style models, whose positions depend on where the padding ids are.</summary>
    public bool PositionsFromPadding => ModelType is "roberta" or "xlm-roberta";

    /// <summary>First position id of real tokens: <c>pad_token_id + 1</c> for RoBERTa/XLM-R, else 0.</summary>
    public int PositionOffset => PositionsFromPadding ? PadTokenId + 1 : 0;

    /// <summary>Longest input the position table allows.</summary>
    public int MaxSequenceLength => MaxPositionEmbeddings - PositionOffset;

    /// <summary>Every problem at once, each with its path in config.json.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string field, string problem)
        {
            if (!ok)
                errors.Add($"config.json: {field}: {problem}");
        }
        Check(SupportedModelTypes.Contains(ModelType), "model_type",
            $"'{ModelType}' is not supported; supported: {string.Join(", ", SupportedModelTypes)}");
        Check(VocabSize > 0, "vocab_size", $"must be > 0, found {VocabSize}");
        Check(HiddenSize > 0, "hidden_size", $"must be > 0, found {HiddenSize}");
        Check(NumHiddenLayers > 0, "num_hidden_layers", $"must be > 0, found {NumHiddenLayers}");
        Check(NumAttentionHeads > 0, "num_attention_heads", $"must be > 0, found {NumAttentionHeads}");
        if (HiddenSize > 0 && NumAttentionHeads > 0)
            Check(HiddenSize % NumAttentionHeads == 0, "hidden_size",
                $"must be divisible by num_attention_heads ({HiddenSize} is not a multiple of {NumAttentionHeads})");
        Check(IntermediateSize > 0, "intermediate_size", $"must be > 0, found {IntermediateSize}");
        Check(SupportedActivations.Contains(HiddenAct), "hidden_act",
            $"'{HiddenAct}' is not supported; supported: {string.Join(", ", SupportedActivations)}");
        Check(TypeVocabSize > 0, "type_vocab_size", $"must be > 0, found {TypeVocabSize}");
        Check(LayerNormEps > 0, "layer_norm_eps", $"must be > 0, found {LayerNormEps}");
        Check(PadTokenId >= 0 && PadTokenId < VocabSize, "pad_token_id",
            $"must be a token id in [0, {VocabSize}), found {PadTokenId}");
        Check(MaxSequenceLength > 0, "max_position_embeddings",
            PositionsFromPadding ? $"must exceed pad_token_id + 1 = {PositionOffset} for {ModelType}, found {MaxPositionEmbeddings}"
                : $"must be > 0, found {MaxPositionEmbeddings}");
        Check(HiddenDropoutProb is >= 0 and < 1, "hidden_dropout_prob", $"must be in [0, 1), found {HiddenDropoutProb}");
        Check(AttentionProbsDropoutProb is >= 0 and < 1, "attention_probs_dropout_prob",
            $"must be in [0, 1), found {AttentionProbsDropoutProb}");
        Check(PositionEmbeddingType == "absolute", "position_embedding_type",
            $"'{PositionEmbeddingType}' is not supported; only 'absolute'");
        return errors;
    }

    /// <summary>Reads and validates a Hugging Face <c>config.json</c>, reporting every problem at once.</summary>
    public static BertConfig Load(string path)
    {
        var file = JsonFile.Read(path, "config.json");
        var modelType = file.String("model_type") ?? "bert";
        var defaults = new BertConfig();
        var config = new BertConfig
        {
            ModelType = modelType,
            VocabSize = file.Int("vocab_size") ?? defaults.VocabSize,
            HiddenSize = file.Int("hidden_size") ?? defaults.HiddenSize,
            NumHiddenLayers = file.Int("num_hidden_layers") ?? defaults.NumHiddenLayers,
            NumAttentionHeads = file.Int("num_attention_heads") ?? defaults.NumAttentionHeads,
            IntermediateSize = file.Int("intermediate_size") ?? defaults.IntermediateSize,
            HiddenAct = file.String("hidden_act") ?? defaults.HiddenAct,
            MaxPositionEmbeddings = file.Int("max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
            TypeVocabSize = file.Int("type_vocab_size") ?? defaults.TypeVocabSize,
            LayerNormEps = file.Double("layer_norm_eps") ?? defaults.LayerNormEps,
            // RobertaConfig's default pad id is 1; BertConfig's is 0.
            PadTokenId = file.Int("pad_token_id") ?? (modelType == "bert" ? 0 : 1),
            HiddenDropoutProb = file.Double("hidden_dropout_prob") ?? defaults.HiddenDropoutProb,
            AttentionProbsDropoutProb = file.Double("attention_probs_dropout_prob") ?? defaults.AttentionProbsDropoutProb,
            PositionEmbeddingType = file.String("position_embedding_type") ?? defaults.PositionEmbeddingType,
        };
        var errors = new List<string>(file.Errors);
        if (file.Bool("is_decoder") is true)
            errors.Add("config.json: is_decoder: must be false; Cadre runs BERT-family models as encoders only");
        // A field that failed to parse keeps its default, so only report validation of fields that did parse.
        errors.AddRange(config.Validate().Where(e => !file.Errors.Any(f => SameField(e, f))));
        if (errors.Count > 0)
            throw new CadreException($"{path}: invalid BERT config:\n  " + string.Join("\n  ", errors));
        return config;
    }

    private static bool SameField(string a, string b) => a.Split(':')[1] == b.Split(':')[1];
}
