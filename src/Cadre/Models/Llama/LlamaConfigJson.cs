using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cadre.Models.Llama;

/// <summary>Reads and writes <see cref="LlamaConfig"/> as Hugging Face's <c>config.json</c>.</summary>
public static class LlamaConfigJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Reads and validates; every wrong type and every invalid value comes in one exception.</summary>
    public static LlamaConfig Read(string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new CadreException($"{path}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new CadreException($"{path}: not valid JSON ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CadreException($"{path}: cannot read ({e.Message})", e);
        }
        return Parse(root, path);
    }

    public static LlamaConfig Parse(JsonObject root, string source)
    {
        var errors = new List<string>();
        var modelType = Get(root, "model_type", errors, LlamaConfig.ModelTypeName);
        if (modelType != LlamaConfig.ModelTypeName)
            errors.Add($"model_type is '{modelType}', not '{LlamaConfig.ModelTypeName}'");
        var d = new LlamaConfig();
        var heads = Get(root, "num_attention_heads", errors, d.NumAttentionHeads);
        var config = new LlamaConfig
        {
            HiddenSize = Get(root, "hidden_size", errors, d.HiddenSize),
            IntermediateSize = Get(root, "intermediate_size", errors, d.IntermediateSize),
            NumHiddenLayers = Get(root, "num_hidden_layers", errors, d.NumHiddenLayers),
            NumAttentionHeads = heads,
            NumKeyValueHeads = Get(root, "num_key_value_heads", errors, heads), // absent: plain multi-head
            ExplicitHeadDim = Get<int?>(root, "head_dim", errors, null),
            VocabSize = Get(root, "vocab_size", errors, d.VocabSize),
            MaxPositionEmbeddings = Get(root, "max_position_embeddings", errors, d.MaxPositionEmbeddings),
            RmsNormEps = Get(root, "rms_norm_eps", errors, d.RmsNormEps),
            RopeTheta = Get(root, "rope_theta", errors, d.RopeTheta),
            RopeScaling = ReadRopeScaling(root, errors),
            HiddenAct = Get(root, "hidden_act", errors, d.HiddenAct),
            TieWordEmbeddings = Get(root, "tie_word_embeddings", errors, d.TieWordEmbeddings),
            AttentionBias = Get(root, "attention_bias", errors, d.AttentionBias),
            MlpBias = Get(root, "mlp_bias", errors, d.MlpBias),
            BosTokenId = Get(root, "bos_token_id", errors, d.BosTokenId),
            EosTokenIds = root["eos_token_id"] is JsonArray
                ? Get<int[]>(root, "eos_token_id", errors, [])
                : [Get(root, "eos_token_id", errors, d.EosTokenIds[0])],
        };
        errors.AddRange(config.Validate());
        return errors.Count == 0
            ? config
            : throw new CadreException($"{source}: invalid Llama config:\n  " + string.Join("\n  ", errors));
    }

    /// <summary>Writes the fields <see cref="Read"/> understands, with Hugging Face's names.</summary>
    public static void Write(LlamaConfig config, string path)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = LlamaConfig.ModelTypeName,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["num_hidden_layers"] = config.NumHiddenLayers,
            ["num_attention_heads"] = config.NumAttentionHeads,
            ["num_key_value_heads"] = config.NumKeyValueHeads,
            ["vocab_size"] = config.VocabSize,
            ["max_position_embeddings"] = config.MaxPositionEmbeddings,
            ["rms_norm_eps"] = config.RmsNormEps,
            ["rope_theta"] = config.RopeTheta,
            ["hidden_act"] = config.HiddenAct,
            ["tie_word_embeddings"] = config.TieWordEmbeddings,
            ["attention_bias"] = config.AttentionBias,
            ["mlp_bias"] = config.MlpBias,
            ["bos_token_id"] = config.BosTokenId,
            ["eos_token_id"] = config.EosTokenIds.Count == 1 ? config.EosTokenIds[0] : new JsonArray(config.EosTokenIds.Select(i => (JsonNode)i).ToArray()),
            ["torch_dtype"] = "float32",
        };
        if (config.ExplicitHeadDim is { } headDim)
            root["head_dim"] = headDim;
        if (config.RopeScaling is { } s)
            root["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = s.Type,
                ["factor"] = s.Factor,
                ["low_freq_factor"] = s.LowFrequencyFactor,
                ["high_freq_factor"] = s.HighFrequencyFactor,
                ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
            };
        File.WriteAllText(path, root.ToJsonString(Indented) + "\n");
    }

    private static LlamaRopeScaling? ReadRopeScaling(JsonObject root, List<string> errors)
    {
        if (root["rope_scaling"] is not JsonObject scaling)
        {
            if (root["rope_scaling"] is not null)
                errors.Add("rope_scaling must be an object or null");
            return null;
        }
        // Older configs name the kind "type", newer ones "rope_type"; "default" means no scaling at all.
        var type = Get(scaling, "rope_type", errors, Get(scaling, "type", errors, "default"));
        if (type == "default")
            return null;
        return new LlamaRopeScaling(
            type,
            Get(scaling, "factor", errors, 1.0),
            Get(scaling, "low_freq_factor", errors, 1.0),
            Get(scaling, "high_freq_factor", errors, 4.0),
            Get(scaling, "original_max_position_embeddings", errors, 8192));
    }

    private static T Get<T>(JsonObject obj, string field, List<string> errors, T fallback)
    {
        var node = obj[field];
        if (node is null)
            return fallback;
        try
        {
            return node.Deserialize<T>() ?? fallback;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            errors.Add($"{field} must be {Describe(typeof(T))}, not {node.ToJsonString()}");
            return fallback;
        }
    }

    private static string Describe(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => "an integer",
        var t when t == typeof(double) => "a number",
        var t when t == typeof(bool) => "true or false",
        var t when t == typeof(string) => "a string",
        var t when t == typeof(int[]) => "a list of integers",
        var t => t.Name.ToLower(CultureInfo.InvariantCulture),
    };
}
