using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;

namespace Cadre.Adapters.Lora;

/// <summary>
/// LoRA (Hu et al. 2021): each chosen linear gains a low-rank update, y = W x + b + (alpha / r) · B A dropout(x),
/// with A (r, in) initialized as nn.Linear (Kaiming-uniform) and B (out, r) at zero, so training starts at the base.
/// Saved as PEFT does: <c>base_model.model.{site}.lora_A.weight</c> and <c>.lora_B.weight</c>.
/// </summary>
public sealed class LoraMethod : IAdapterMethod
{
    public string Name => "lora";
    public string? PeftType => "LORA";
    public double DefaultLearningRate => 1e-3;

    public IReadOnlyList<string> Validate(AdapterSpec spec)
    {
        // r > 0, alpha > 0 and the dropout range are checked for every method by the spec itself.
        return spec.R > 1024 ? ["adapter.r: at most 1024"] : [];
    }

    public AttachedAdapter Create(ISentenceEncoder model, AdapterSpec spec, long seed, string baseName)
    {
        var sites = SiteSelection.Select(model, spec.Targets);
        return new LoraAdapter(this, model, sites, spec.R, spec.Alpha, spec.Dropout, seed, baseName);
    }

    public AttachedAdapter FromConfig(ISentenceEncoder model, JsonObject? config, string source)
    {
        var saved = Read(model, config, source);
        return new LoraAdapter(this, model, saved.Sites, saved.R, saved.Alpha, 0, seed: 0, saved.BaseName);
    }

    public AdapterContributions Contributions(ISentenceEncoder model, JsonObject? config, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var saved = Read(model, config, source);
        var expected = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var name in saved.Sites)
        {
            expected[LoraAdapter.KeyA(name)] = [saved.R, model.Sites[name].InFeatures];   // (r, in)
            expected[LoraAdapter.KeyB(name)] = [model.Sites[name].OutFeatures, saved.R];  // (out, r)
        }
        AdapterFiles.CheckFits(expected, tensors, source);
        var scaling = saved.Alpha / saved.R; // as LoraAdapter
        return new AdapterContributions(saved.Sites.ToDictionary(name => name, name => (SiteContribution)new LowRankContribution(
            tensors[LoraAdapter.KeyA(name)].to(ScalarType.Float32), tensors[LoraAdapter.KeyB(name)].to(ScalarType.Float32), scaling),
            StringComparer.Ordinal), Prompt: null);
    }

    private sealed record Saved(IReadOnlyList<string> Sites, int R, double Alpha, string BaseName);

    /// <summary>The saved config, checked: what Cadre's LoRA does not read is refused by name.</summary>
    private static Saved Read(ISentenceEncoder model, JsonObject? config, string source)
    {
        if (config is null) throw new CadreException($"{source}: a LoRA adapter needs adapter_config.json");
        var r = (int)AdapterFiles.JsonNumber(config, "r", source);
        var alpha = AdapterFiles.JsonNumber(config, "lora_alpha", source, r);
        if (config["use_dora"] is JsonValue d && d.TryGetValue<bool>(out var dora) && dora)
            throw new CadreException($"{source}: DoRA adapters (use_dora) are not supported");
        if (config["fan_in_fan_out"] is JsonValue f && f.TryGetValue<bool>(out var fan) && fan)
            throw new CadreException($"{source}: fan_in_fan_out (GPT-2 Conv1D layout) is not supported");
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
            if (config[pattern] is JsonObject { Count: > 0 })
                throw new CadreException($"{source}: per-module ranks or alphas ({pattern}) are not supported");
        // rsLoRA scales by alpha / sqrt(r); the same update as alpha · sqrt(r) / r, which is how Cadre keeps it.
        if (config["use_rslora"] is JsonValue rs && rs.TryGetValue<bool>(out var rslora) && rslora)
            alpha *= Math.Sqrt(r);
        var sites = AdapterFiles.Targets(model, config, "target_modules", source);
        if (sites.Count == 0)
            throw new CadreException($"{source}: target_modules matches no linear site of this {model.Architecture} base");
        var baseName = config["base_model_name_or_path"] is JsonValue b && b.TryGetValue<string>(out var s) ? s : "";
        return new Saved(sites, r, alpha, baseName);
    }
}
