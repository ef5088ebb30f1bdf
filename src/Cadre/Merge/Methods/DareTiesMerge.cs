namespace Cadre.Merge.Methods;

/// <summary>
/// DARE with TIES' sign election (mergekit's <c>dare_ties</c>): random drop with rescale (density default 0.5),
/// sign election by the weighted sum, then the sum of the agreeing entries (not normalized, as mergekit), times λ.
/// </summary>
public sealed class DareTiesMerge() : GeneralizedTaskArithmetic(
    "dare_ties", "random drop with rescale, then sign election",
    Sparsification.Random, consensus: true, defaultNormalize: false, defaultRescale: true, defaultDensity: 0.5);
