namespace Cadre.Merge.Methods;

/// <summary>
/// TIES (Yadav et al. 2023): trim each task vector to its <c>density</c> largest-magnitude entries (default 0.2,
/// the paper's top 20 %), elect each entry's sign from the weighted sum, and average only the inputs that agree
/// (divided by their summed weights: <c>normalize</c> defaults to true, as in mergekit); scale by λ.
/// </summary>
public sealed class TiesMerge() : GeneralizedTaskArithmetic(
    "ties", "trim to density, elect signs, mean of the agreeing entries",
    Sparsification.Magnitude, consensus: true, defaultNormalize: true, defaultRescale: false, defaultDensity: 0.2);
