using System.Text.Json.Nodes;
using Cadre.Models;
using Cadre.Util;
using static TorchSharp.torch;

namespace Cadre.Adapters;

/// <summary>
/// One parameter-efficient method: how it attaches fresh to a base for training, how it comes back from its saved
/// files onto a model of its own, and what its saved files add to a base that others share. A new method is one
/// folder plus one line in <see cref="AdapterMethods.All"/>.
/// </summary>
public interface IAdapterMethod
{
    /// <summary>The spec's <c>adapter.method</c>: <c>lora</c>, <c>ia3</c>, <c>prompt</c>, <c>full</c>.</summary>
    string Name { get; }

    /// <summary>PEFT's <c>peft_type</c> (<c>LORA</c>, <c>IA3</c>, <c>PROMPT_TUNING</c>), or null when PEFT has none.</summary>
    string? PeftType { get; }

    /// <summary>The learning rate used when the spec gives none (see docs/RESULTS.md for how it was chosen).</summary>
    double DefaultLearningRate { get; }

    /// <summary>Every problem with the spec's adapter block for this method (empty when fine).</summary>
    IReadOnlyList<string> Validate(AdapterSpec spec);

    /// <summary>Attaches a freshly initialized adapter (seeded) to <paramref name="model"/>.</summary>
    AttachedAdapter Create(ISentenceEncoder model, AdapterSpec spec, long seed, string baseName);

    /// <summary>Whether this method reads folders of PEFT's <paramref name="peftType"/>.</summary>
    bool Reads(string peftType) => peftType == PeftType;

    /// <summary>Attaches an adapter described by a saved config (weights are loaded by the caller).</summary>
    AttachedAdapter FromConfig(ISentenceEncoder model, JsonObject? config, string source);

    /// <summary>Whether the method changes the base's own weights (full fine-tuning): such a specialist cannot share a base.</summary>
    bool OwnsBaseWeights => false;

    /// <summary>
    /// What a saved adapter adds to <paramref name="model"/>, from its config and tensors alone: per-site
    /// contributions by site name and the soft prompt, in float32. Reads the base's site names and widths and
    /// changes nothing of it. Keys and shapes are checked as <see cref="AttachedAdapter.LoadStateDict"/> checks them.
    /// </summary>
    AdapterContributions Contributions(ISentenceEncoder model, JsonObject? config, IReadOnlyDictionary<string, Tensor> tensors, string source);
}

/// <summary>The explicit registry of adapter methods (no assembly scanning). <c>head</c> needs no adapter.</summary>
public static class AdapterMethods
{
    public static readonly IReadOnlyList<IAdapterMethod> All =
    [
        new Lora.LoraMethod(),
        new Ia3.Ia3Method(),
        new Prompt.PromptMethod(),
        new Full.FullMethod(),
    ];

    public static IAdapterMethod Get(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new CadreException($"unknown adapter method '{CadreException.Shown(name)}'{Suggest.DidYouMean(name, All.Select(m => m.Name))}; known: head, {string.Join(", ", All.Select(m => m.Name))}");

    public static IAdapterMethod ByPeftType(string peftType, string source) => All.FirstOrDefault(m => m.Reads(peftType))
        ?? throw new CadreException($"{source}: peft_type '{peftType}' is not supported; Cadre reads "
                                    + string.Join(", ", All.Where(m => m.PeftType is not null).Select(m => m.PeftType)));
}
