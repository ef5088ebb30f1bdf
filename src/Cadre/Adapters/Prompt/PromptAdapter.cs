using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Adapters.Prompt;

/// <summary>
/// A soft prompt attached to an encoder of its own (it sets the encoder's <see cref="SoftPrompt"/>, which every pass
/// without a prompt of its own then carries): input vectors, or with <c>deep</c> per-layer key and value prefixes
/// (P-tuning v2; PEFT's <c>PREFIX_TUNING</c> without projection).
/// </summary>
internal sealed class PromptAdapter : AttachedAdapter
{
    private readonly ISentenceEncoder _encoder;
    private readonly Dictionary<string, Parameter> _parameters;
    private readonly JsonObject _config;

    /// <summary>Spread of fresh deep-prompt keys and values: BERT's initializer range, small next to real keys.</summary>
    private const double PrefixInitStd = 0.02;

    public PromptAdapter(IAdapterMethod method, ISentenceEncoder encoder, int tokens, long seed, string baseName, bool deep = false)
        : base(method, encoder)
    {
        if (encoder.Prompt.Vectors is not null || encoder.Prompt.Prefixes is not null)
            throw new CadreException("this base already carries a soft prompt; detach it first");
        if (deep && encoder.Prompt.PrefixWidth == 0)
            throw new CadreException(PromptMethod.NoDeepPrompts);
        _encoder = encoder;
        Deep = deep;
        Parameter vectors;
        using (var scope = NewDisposeScope())
        {
            using var generator = new Generator((ulong)seed);
            if (deep)
            {
                vectors = new Parameter(normal(0, PrefixInitStd, [tokens, encoder.Prompt.PrefixWidth], generator: generator),
                                        requires_grad: true); // (P, L · 2 · W)
                vectors.MoveToOuterDisposeScope();
            }
            else
            {
                var table = encoder.TokenEmbeddings;                                          // (V, E)
                var rows = randint(0, table.shape[0], [tokens], generator: generator);       // (P)
                vectors = new Parameter(table.index_select(0, rows).detach().clone(), requires_grad: true); // (P, E)
                vectors.MoveToOuterDisposeScope();
            }
        }
        _parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal) { [Key] = vectors };
        if (deep)
            encoder.Prompt.Prefixes = vectors;
        else
            encoder.Prompt.Vectors = vectors;
        var widths = encoder.Prompt.LayerWidths;
        _config = deep
            ? new JsonObject
            {
                ["peft_type"] = "PREFIX_TUNING",
                ["task_type"] = "FEATURE_EXTRACTION",
                ["base_model_name_or_path"] = baseName,
                ["num_virtual_tokens"] = tokens,
                ["token_dim"] = widths.Distinct().Count() == 1 ? widths[0] : null,
                ["layer_widths"] = new JsonArray(widths.Select(w => (JsonNode)w).ToArray()), // Cadre's: USE-lite's layers may differ
                ["num_layers"] = widths.Count,
                ["num_transformer_submodules"] = 1,
                ["prefix_projection"] = false,
                ["inference_mode"] = true,
            }
            : new JsonObject
            {
                ["peft_type"] = "PROMPT_TUNING",
                ["task_type"] = "FEATURE_EXTRACTION",
                ["base_model_name_or_path"] = baseName,
                ["num_virtual_tokens"] = tokens,
                ["token_dim"] = encoder.TokenWidth,
                ["num_transformer_submodules"] = 1,
                ["prompt_tuning_init"] = "SAMPLE_VOCAB",
                ["inference_mode"] = true,
            };
    }

    /// <summary>PEFT's key of the prompt: (P, E), or (P, L · 2 · W) for deep prompts.</summary>
    public const string Key = "prompt_embeddings";

    /// <summary>Whether these are per-layer prefixes rather than input vectors.</summary>
    public bool Deep { get; }

    public override IReadOnlyDictionary<string, Parameter> Parameters => _parameters;

    public override JsonObject PeftConfig => _config;

    protected override void Release()
    {
        if (Deep)
            _encoder.Prompt.Prefixes = null;
        else
            _encoder.Prompt.Vectors = null;
    }
}
