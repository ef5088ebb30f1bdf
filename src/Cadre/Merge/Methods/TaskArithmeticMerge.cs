namespace Cadre.Merge.Methods;

/// <summary>
/// Task arithmetic (Ilharco et al. 2023): base + λ · Σ wᵢ τᵢ. Weights are used as given (not normalized unless
/// <c>normalize: true</c>), so two inputs at weight 1 add both task vectors at full strength. λ defaults to 1.
/// </summary>
public sealed class TaskArithmeticMerge() : GeneralizedTaskArithmetic(
    "task_arithmetic", "base + lambda * sum of weighted task vectors (weights as given)",
    Sparsification.None, consensus: false, defaultNormalize: false, defaultRescale: false, defaultDensity: 1);
