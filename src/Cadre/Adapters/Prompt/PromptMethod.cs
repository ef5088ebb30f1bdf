using System.Text.Json.Nodes;
using Cadre.Models;
using Cadre.Training.Spec;

namespace Cadre.Adapters.Prompt;

/// <summary>
/// Prompt tuning (Lester et al. 2021): P trainable vectors go before every text's token embeddings; the base is
/// untouched. They start as the embeddings of P tokens sampled from the vocabulary (PEFT's <c>SAMPLE_VOCAB</c>),
/// which puts them at the scale the base expects. Saved as PEFT does: <c>prompt_embeddings</c> (P, E).
/// </summary>
public sealed class PromptMethod : IAdapterMethod
{
    public string Name => "prompt";
    public string? PeftType => "PROMPT_TUNING";
    public double DefaultLearningRate => 3e-2;

    public IReadOnlyList<string> Validate(AdapterSpec spec)
    {
        var errors = new List<string>();
        if (spec.PromptTokens > 512) errors.Add("adapter.prompt_tokens: at most 512");
        if (spec.DeepPrompt) errors.Add("adapter.deep_prompt: prompts at every layer (P-tuning v2) are not available yet; use input prompts");
        return errors;
    }

    public AttachedAdapter Create(ISentenceEncoder model, AdapterSpec spec, long seed, string baseName) =>
        new PromptAdapter(this, model, spec.PromptTokens, seed, baseName);

    public AttachedAdapter FromConfig(ISentenceEncoder model, JsonObject? config, string source)
    {
        if (config is null) throw new CadreException($"{source}: a prompt adapter needs adapter_config.json");
        var tokens = (int)AdapterFiles.JsonNumber(config, "num_virtual_tokens", source);
        var width = (long)AdapterFiles.JsonNumber(config, "token_dim", source, model.TokenWidth);
        if (tokens < 1 || tokens > 512)
            throw new CadreException($"{source}: num_virtual_tokens {tokens} is outside 1..512");
        if (width != model.TokenWidth)
            throw new CadreException($"{source}: token_dim {width} does not match the base's token width {model.TokenWidth}");
        if (AdapterFiles.JsonNumber(config, "num_transformer_submodules", source, 1) != 1)
            throw new CadreException($"{source}: prompts for encoder-decoder models are not supported");
        var baseName = config["base_model_name_or_path"] is JsonValue b && b.TryGetValue<string>(out var s) ? s : "";
        return new PromptAdapter(this, model, tokens, seed: 0, baseName);
    }
}
