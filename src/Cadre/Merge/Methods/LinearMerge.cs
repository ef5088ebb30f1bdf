using static TorchSharp.torch;

namespace Cadre.Merge.Methods;

/// <summary>
/// Linear (model soups, Wortsman et al. 2022): the weighted mean Σ wᵢ θᵢ / Σ wᵢ. Weights are always normalized, so
/// weights 2 and 1 mean 2/3 and 1/3 (the merge reports the normalized weights). On task vectors this is the same
/// as on the weights themselves, because the base carries weight Σ wᵢ / Σ wᵢ = 1. mergekit's
/// <c>normalize: false</c> (Σ wᵢ θᵢ, which scales the base too) is not offered: an adapter cannot scale its base;
/// task_arithmetic adds weighted task vectors without normalizing.
/// </summary>
public sealed class LinearMerge : IMergeMethod
{
    public string Name => "linear";
    public string Summary => "weighted mean (weights normalized to sum 1)";
    public IReadOnlyList<string> Parameters => [];

    public IReadOnlyList<string> ValidateWeights(IReadOnlyList<double> weights) =>
        Math.Abs(weights.Sum()) < 1e-12 ? ["weights: sum to 0, so a weighted mean is undefined"] : [];

    public IReadOnlyDictionary<string, string> Effective(MergeSettings settings) => new Dictionary<string, string>();

    public Tensor Merge(MergeTensors t)
    {
        using var scope = NewDisposeScope();
        var total = t.Weights.Sum();
        var sum = t.TaskVectors[0].to(ScalarType.Float32) * (t.Weights[0] / total);
        for (var i = 1; i < t.TaskVectors.Count; i++)
            sum = sum + t.TaskVectors[i].to(ScalarType.Float32) * (t.Weights[i] / total);
        return sum.MoveToOuterDisposeScope();
    }
}
