using Cadre.Util;

namespace Cadre.Merge;

/// <summary>
/// One tensor's inputs to a merge: each input's task vector (its difference from the base; zeros where an input
/// does not change this tensor), each input's weight, and, for methods that need them, each input's diagonal
/// Fisher for the same entries. All tensors have one shape; the method returns the merged task vector (float32)
/// in the caller's dispose scope.
/// </summary>
public sealed record MergeTensors(
    string Key, IReadOnlyList<TorchSharp.torch.Tensor> TaskVectors, IReadOnlyList<double> Weights,
    MergeSettings Settings, IReadOnlyList<TorchSharp.torch.Tensor>? Fishers = null, IReadOnlyList<double>? FisherNorms = null);

/// <summary>
/// A merge method: a function over the task vectors of one tensor across inputs, with declared parameters. A new
/// method is one file in <c>Methods/</c> plus one line in <see cref="MergeMethods.All"/>.
/// </summary>
public interface IMergeMethod
{
    /// <summary>The registry name, snake_case: <c>linear</c>, <c>ties</c>, ...</summary>
    string Name { get; }

    /// <summary>One line for <c>--help</c> and errors.</summary>
    string Summary { get; }

    /// <summary>The <see cref="MergeSettings"/> parameters this method reads, by snake_case name.</summary>
    IReadOnlyList<string> Parameters { get; }

    /// <summary>Whether each input must bring a diagonal Fisher (<see cref="MergeTensors.Fishers"/>).</summary>
    bool NeedsFisher => false;

    /// <summary>Every problem with the weights for this method (empty when fine).</summary>
    IReadOnlyList<string> ValidateWeights(IReadOnlyList<double> weights) => [];

    /// <summary>The parameters as this method uses them, defaults filled in, for the merged specialist's lineage.</summary>
    IReadOnlyDictionary<string, string> Effective(MergeSettings settings);

    /// <summary>The merged task vector of one tensor.</summary>
    TorchSharp.torch.Tensor Merge(MergeTensors tensors);
}

/// <summary>The explicit registry of merge methods (no assembly scanning).</summary>
public static class MergeMethods
{
    public static readonly IReadOnlyList<IMergeMethod> All =
    [
        new Methods.LinearMerge(),
        new Methods.TaskArithmeticMerge(),
        new Methods.TiesMerge(),
        new Methods.DareLinearMerge(),
        new Methods.DareTiesMerge(),
        new Methods.FisherMerge(),
    ];

    public static IMergeMethod Get(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new CadreException($"unknown merge method '{name}'{Suggest.DidYouMean(name, All.Select(m => m.Name))}; known: {string.Join(", ", All.Select(m => m.Name))}");
}
