using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Adapters.Prompt;

/// <summary>A soft prompt attached to an encoder (it sets the encoder's <see cref="SoftPrompt"/>).</summary>
internal sealed class PromptAdapter : AttachedAdapter
{
    private readonly ISentenceEncoder _encoder;
    private readonly Dictionary<string, Parameter> _parameters;
    private readonly JsonObject _config;

    public PromptAdapter(IAdapterMethod method, ISentenceEncoder encoder, int tokens, long seed, string baseName)
        : base(method, encoder)
    {
        if (encoder.Prompt.Vectors is not null)
            throw new CadreException("this base already carries a soft prompt; detach it first");
        _encoder = encoder;
        Parameter vectors;
        using (var scope = NewDisposeScope())
        {
            var table = encoder.TokenEmbeddings;                                          // (V, E)
            using var generator = new Generator((ulong)seed);
            var rows = randint(0, table.shape[0], [tokens], generator: generator);       // (P)
            vectors = new Parameter(table.index_select(0, rows).detach().clone(), requires_grad: true); // (P, E)
            vectors.MoveToOuterDisposeScope();
        }
        _parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal) { ["prompt_embeddings"] = vectors };
        encoder.Prompt.Vectors = vectors;
        _config = new JsonObject
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

    public override IReadOnlyDictionary<string, Parameter> Parameters => _parameters;

    public override JsonObject PeftConfig => _config;

    protected override void Release() => _encoder.Prompt.Vectors = null;
}
