using static TorchSharp.torch;

namespace Cadre.Adapters;

/// <summary>
/// What one adapter adds at one linear site, in a form the serving engine can gather per row of a mixed batch
/// (S-LoRA and Punica gather adapter weights per row instead of splitting the batch per adapter).
/// </summary>
public abstract record SiteContribution;

/// <summary>LoRA: y += scaling · B A x, with A (r, in) and B (out, r).</summary>
public sealed record LowRankContribution(Tensor A, Tensor B, double Scaling) : SiteContribution;

/// <summary>(IA)³: the site's input (feed-forward layers) or output is multiplied by a vector (F).</summary>
public sealed record ScaleContribution(Tensor Vector, bool ScalesInput) : SiteContribution;

/// <summary>A soft prompt: input vectors (P, E), or with <see cref="Deep"/> per-layer prefixes (P, Σ 2·W).</summary>
public sealed record PromptContribution(Tensor Vectors, bool Deep);

/// <summary>
/// A saved adapter's whole effect on a base, read straight from its files (<see cref="AdapterFiles.ReadContributions"/>)
/// without attaching anything to the base: what it adds at each site, by the base's site name, and its soft prompt.
/// A base that others share reads its specialists this way. Tensors are float32 (as the attach path's parameters)
/// and belong to the caller's dispose scope.
/// </summary>
public sealed record AdapterContributions(IReadOnlyDictionary<string, SiteContribution> Sites, PromptContribution? Prompt);
