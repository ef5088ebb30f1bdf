using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Models.UseLite;

/// <summary>One transformer layer of USE-lite: its input width, attention width and heads, feed-forward width.</summary>
public sealed record UseLiteLayerConfig(
    [property: JsonPropertyName("input_size")] int InputSize,
    [property: JsonPropertyName("attention_size")] int AttentionSize,
    [property: JsonPropertyName("heads")] int Heads,
    [property: JsonPropertyName("attention_scale")] float AttentionScale,
    [property: JsonPropertyName("ffn_size")] int FfnSize);

/// <summary>
/// USE-lite's architecture as read from the TF.js graph (never assumed): written next to the weights as
/// <c>config.json</c> with <c>model_type: use_lite</c>.
/// </summary>
public sealed record UseLiteConfig
{
    public const string ModelType = "use_lite";
    public const int CurrentVersion = 1;

    [JsonPropertyName("model_type")] public string Type { get; init; } = ModelType;
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    /// <summary>Rows of the embedding table (the graph's, 8,002; the vocabulary has 8,000 pieces).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("embedding_size")] public int EmbeddingSize { get; init; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }
    /// <summary>Tokens past this many are dropped (the graph's ClipToMaxLength).</summary>
    [JsonPropertyName("max_length")] public int MaxLength { get; init; }
    [JsonPropertyName("layer_norm_eps")] public float LayerNormEpsilon { get; init; }
    [JsonPropertyName("l2_eps")] public float L2Epsilon { get; init; }
    [JsonPropertyName("timing_channels")] public int TimingChannels { get; init; }
    [JsonPropertyName("layers")] public IReadOnlyList<UseLiteLayerConfig> Layers { get; init; } = [];

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Options));

    public static UseLiteConfig Read(string path)
    {
        UseLiteConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<UseLiteConfig>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CadreException($"{path}: not a USE-lite config ({e.Message})");
        }
        if (config is null || config.Type != ModelType)
            throw new CadreException($"{path}: model_type is not {ModelType}");
        var errors = config.Validate();
        if (errors.Count > 0)
            throw new CadreException($"{path}: " + string.Join("; ", errors));
        return config;
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FormatVersion != CurrentVersion) errors.Add($"format_version: {FormatVersion} is not supported");
        if (VocabSize <= 0) errors.Add("vocab_size: must be > 0");
        if (EmbeddingSize <= 0) errors.Add("embedding_size: must be > 0");
        if (HiddenSize <= 0) errors.Add("hidden_size: must be > 0");
        if (MaxLength <= 0) errors.Add("max_length: must be > 0");
        if (TimingChannels != EmbeddingSize) errors.Add("timing_channels: must equal embedding_size");
        if (Layers.Count == 0) errors.Add("layers: at least one");
        for (var i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            if (l.Heads <= 0 || l.AttentionSize % l.Heads != 0) errors.Add($"layers[{i}].heads: must divide attention_size");
            if (l.InputSize != (i == 0 ? EmbeddingSize : HiddenSize)) errors.Add($"layers[{i}].input_size: does not chain");
            if (l.FfnSize <= 0) errors.Add($"layers[{i}].ffn_size: must be > 0");
        }
        return errors;
    }
}
