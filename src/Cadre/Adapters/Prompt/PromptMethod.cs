using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;

namespace Cadre.Adapters.Prompt;

/// <summary>
/// Prompt tuning (Lester et al. 2021): P trainable vectors go before every text's token embeddings; the base is
/// untouched. They start as the embeddings of P tokens sampled from the vocabulary (PEFT's <c>SAMPLE_VOCAB</c>),
/// which puts them at the scale the base expects. Saved as PEFT does: <c>prompt_embeddings</c> (P, E).
/// With <c>deep_prompt: true</c>, P-tuning v2 (Liu et al. 2022): every layer gets P trainable keys and values that
/// all positions attend to, saved as PEFT's <c>PREFIX_TUNING</c> (no projection): <c>prompt_embeddings</c>
/// (P, L · 2 · W). More parameters, and the prompt reaches deep layers directly instead of only through the input.
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
        return errors;
    }

    public AttachedAdapter Create(ISentenceEncoder model, AdapterSpec spec, long seed, string baseName) =>
        new PromptAdapter(this, model, spec.PromptTokens, seed, baseName, spec.DeepPrompt);

    public bool Reads(string peftType) => peftType is "PROMPT_TUNING" or "PREFIX_TUNING";

    public AttachedAdapter FromConfig(ISentenceEncoder model, JsonObject? config, string source)
    {
        var saved = Read(model, config, source);
        return new PromptAdapter(this, model, saved.Tokens, seed: 0, saved.BaseName, saved.Deep);
    }

    public AdapterContributions Contributions(ISentenceEncoder model, JsonObject? config, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var saved = Read(model, config, source);
        if (saved.Deep && model.Prompt.PrefixWidth == 0)
            throw new CadreException($"{source}: {NoDeepPrompts}");
        var width = saved.Deep ? model.Prompt.PrefixWidth : model.TokenWidth;
        AdapterFiles.CheckFits(new Dictionary<string, long[]> { [PromptAdapter.Key] = [saved.Tokens, width] }, tensors, source); // (P, W)
        var vectors = tensors[PromptAdapter.Key].to(ScalarType.Float32);
        return new AdapterContributions(new Dictionary<string, SiteContribution>(), new PromptContribution(vectors, saved.Deep));
    }

    internal const string NoDeepPrompts = "this base does not support deep prompts";

    private sealed record Saved(int Tokens, bool Deep, string BaseName);

    /// <summary>The saved config, checked against the base's widths.</summary>
    private static Saved Read(ISentenceEncoder model, JsonObject? config, string source)
    {
        if (config is null) throw new CadreException($"{source}: a prompt adapter needs adapter_config.json");
        var tokens = (int)AdapterFiles.JsonNumber(config, "num_virtual_tokens", source);
        if (tokens < 1 || tokens > 512)
            throw new CadreException($"{source}: num_virtual_tokens {tokens} is outside 1..512");
        var baseName = config["base_model_name_or_path"] is JsonValue b && b.TryGetValue<string>(out var s) ? s : "";
        if (config["peft_type"]?.GetValue<string>() == "PREFIX_TUNING")
        {
            if (config["prefix_projection"] is JsonValue pp && pp.TryGetValue<bool>(out var projected) && projected)
                throw new CadreException($"{source}: prefix tuning with prefix_projection (an MLP over the prompt) is not supported; P-tuning v2 prefixes are");
            var layers = model.Prompt.LayerWidths;
            if (AdapterFiles.JsonNumber(config, "num_layers", source, layers.Count) != layers.Count)
                throw new CadreException($"{source}: num_layers does not match the base's {layers.Count} layers");
            if (config["token_dim"] is JsonValue td && td.TryGetValue<long>(out var dim) && layers.Any(w => w != dim))
                throw new CadreException($"{source}: token_dim {dim} does not match the base's attention width {string.Join("/", layers.Distinct())}");
            return new Saved(tokens, Deep: true, baseName);
        }
        var width = (long)AdapterFiles.JsonNumber(config, "token_dim", source, model.TokenWidth);
        if (width != model.TokenWidth)
            throw new CadreException($"{source}: token_dim {width} does not match the base's token width {model.TokenWidth}");
        if (AdapterFiles.JsonNumber(config, "num_transformer_submodules", source, 1) != 1)
            throw new CadreException($"{source}: prompts for encoder-decoder models are not supported");
        return new Saved(tokens, Deep: false, baseName);
    }
}
