using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>
/// Named tensors owned by the snapshot, freed when it is disposed: a best epoch's weights, a run's state on its way
/// into a checkpoint or cache file, tensors read back from one.
/// </summary>
public sealed class StateSnapshot(Dictionary<string, Tensor> tensors) : IDisposable
{
    public IReadOnlyDictionary<string, Tensor> Tensors => tensors;

    /// <summary>
    /// Detached copies of the tensors <paramref name="live"/> names, outside the caller's dispose scope. A function,
    /// so that whatever it makes on the way (detach() views, generator states) is made, and freed, in this scope.
    /// </summary>
    public static StateSnapshot Of(Func<IEnumerable<KeyValuePair<string, Tensor>>> live)
    {
        using var scope = NewDisposeScope();
        return new(live().ToDictionary(p => p.Key, p => p.Value.detach().clone().MoveToOuterDisposeScope(), StringComparer.Ordinal));
    }

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
