using Cadre.Models;
using static TorchSharp.torch;

namespace Cadre.Adapters;

/// <summary>
/// What one adapter adds at one linear site, in a form the serving engine can gather per row of a mixed batch
/// (S-LoRA and Punica gather adapter weights per row instead of splitting the batch per adapter). The tensors
/// belong to the adapter; the engine copies what it keeps.
/// </summary>
public abstract record SiteContribution;

/// <summary>LoRA: y += scaling · B A x, with A (r, in) and B (out, r).</summary>
public sealed record LowRankContribution(Tensor A, Tensor B, double Scaling) : SiteContribution;

/// <summary>(IA)³: the site's input (feed-forward layers) or output is multiplied by a vector (F).</summary>
public sealed record ScaleContribution(Tensor Vector, bool ScalesInput) : SiteContribution;

/// <summary>A site adapter whose effect is a <see cref="SiteContribution"/>.</summary>
public interface IServableSite : ISiteAdapter
{
    SiteContribution Contribution { get; }
}

/// <summary>A soft prompt: input vectors (P, E), or with <see cref="Deep"/> per-layer prefixes (P, Σ 2·W).</summary>
public sealed record PromptContribution(Tensor Vectors, bool Deep);
