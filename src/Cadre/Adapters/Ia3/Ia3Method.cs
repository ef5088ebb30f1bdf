using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;

namespace Cadre.Adapters.Ia3;

/// <summary>
/// (IA)³ (Liu et al. 2022): learned vectors rescale activations. On attention keys and values the output is scaled,
/// (out, 1); on the feed-forward's output layer the input is scaled, (1, in). Vectors start at one, so training
/// starts at the base. Group targets mean: attention → key and value; ffn → the feed-forward output layer (PEFT's
/// defaults); explicit patterns are taken as given. Saved as PEFT does: <c>base_model.model.{site}.ia3_l</c>.
/// </summary>
public sealed class Ia3Method : IAdapterMethod
{
    public string Name => "ia3";
    public string? PeftType => "IA3";
    public double DefaultLearningRate => 1e-2; // measured against 3e-3 and 3e-2: docs/RESULTS.md

    public IReadOnlyList<string> Validate(AdapterSpec spec) => [];

    public AttachedAdapter Create(ISentenceEncoder model, AdapterSpec spec, long seed, string baseName)
    {
        var sites = SiteSelection.Select(model, spec.Targets,
            role => role is SiteRole.Key or SiteRole.Value or SiteRole.FfnDown);
        var feedForward = sites.Where(s => SiteSelection.RoleOf(s) == SiteRole.FfnDown).ToList();
        return new Ia3Adapter(this, model, sites, feedForward, baseName);
    }

    public AttachedAdapter FromConfig(ISentenceEncoder model, JsonObject? config, string source)
    {
        var saved = Read(model, config, source);
        return new Ia3Adapter(this, model, saved.Sites, saved.FeedForward, saved.BaseName);
    }

    public AdapterContributions Contributions(ISentenceEncoder model, JsonObject? config, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var saved = Read(model, config, source);
        AdapterFiles.CheckFits(saved.Sites.ToDictionary(Ia3Adapter.Key, name => Ia3Adapter.Shape(model.Sites[name], saved.FeedForward.Contains(name)),
                                                        StringComparer.Ordinal), tensors, source);
        return new AdapterContributions(saved.Sites.ToDictionary(name => name, name => (SiteContribution)new ScaleContribution(
            tensors[Ia3Adapter.Key(name)].to(ScalarType.Float32).flatten(), saved.FeedForward.Contains(name)),             // (F)
            StringComparer.Ordinal), Prompt: null);
    }

    private sealed record Saved(IReadOnlyList<string> Sites, IReadOnlyList<string> FeedForward, string BaseName);

    /// <summary>The saved config, checked: sites and which of them scale their input.</summary>
    private static Saved Read(ISentenceEncoder model, JsonObject? config, string source)
    {
        if (config is null) throw new CadreException($"{source}: an (IA)³ adapter needs adapter_config.json");
        var sites = AdapterFiles.Targets(model, config, "target_modules", source);
        if (sites.Count == 0)
            throw new CadreException($"{source}: target_modules matches no linear site of this {model.Architecture} base");
        var feedForward = AdapterFiles.Targets(model, config, "feedforward_modules", source);
        if (feedForward.Except(sites).Any())
            throw new CadreException($"{source}: feedforward_modules must be a subset of target_modules");
        var baseName = config["base_model_name_or_path"] is JsonValue b && b.TryGetValue<string>(out var s) ? s : "";
        return new Saved(sites, feedForward, baseName);
    }
}
