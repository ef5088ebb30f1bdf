namespace Cadre.Merge.Methods;

/// <summary>
/// DARE with task arithmetic (Yu et al. 2024): drop each task-vector entry with probability 1 − <c>density</c>
/// (seeded), rescale the kept ones by 1 / density, then base + λ · Σ wᵢ τᵢ (not normalized, as mergekit's
/// <c>dare_linear</c>). Density defaults to 0.5.
/// </summary>
public sealed class DareLinearMerge() : GeneralizedTaskArithmetic(
    "dare_linear", "random drop with rescale, then task arithmetic",
    Sparsification.Random, consensus: false, defaultNormalize: false, defaultRescale: true, defaultDensity: 0.5);
