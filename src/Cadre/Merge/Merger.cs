using static TorchSharp.torch;

namespace Cadre.Merge;

/// <summary>
/// Tensors read lazily by key: one input's task vectors (its difference from the base per tensor), or its diagonal
/// Fisher. Keys and shapes come from file headers; <see cref="Read"/> loads one tensor, which the caller owns.
/// </summary>
public interface ITensorSource
{
    /// <summary>What the tensors belong to, for error messages (a specialist's name).</summary>
    string Name { get; }

    /// <summary>Every key this source has, with its shape.</summary>
    IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>The tensor for <paramref name="key"/> (one of <see cref="Shapes"/>), made now; the caller disposes it.</summary>
    Tensor Read(string key);
}

/// <summary>One input of a merge: its task vectors, its weight, and (for Fisher merging) its Fisher and that Fisher's L2 norm.</summary>
public sealed record MergeInput(ITensorSource TaskVectors, double Weight, ITensorSource? Fisher = null, double FisherNorm = 0);

/// <summary>
/// Walks a merge one tensor at a time: <see cref="Merge"/> reads each input's task vector for one key (a zero
/// tensor where an input does not change it, so that input pulls the entry toward the base), hands them to the
/// method, disposes them, and returns the merged task vector. Memory holds one key's inputs and result, never a
/// whole model. Keys, shapes and Fisher coverage are checked up front, every problem at once.
/// </summary>
public sealed class Merger
{
    private readonly IMergeMethod _method;
    private readonly MergeSettings _settings;
    private readonly IReadOnlyList<MergeInput> _inputs;

    public Merger(IMergeMethod method, MergeSettings settings, IReadOnlyList<MergeInput> inputs)
    {
        _method = method;
        _settings = settings;
        _inputs = inputs;
        var errors = new List<string>();
        if (inputs.Count < 2) errors.Add($"a merge needs at least two inputs, got {inputs.Count}");
        errors.AddRange(settings.Validate(method));
        errors.AddRange(method.ValidateWeights(inputs.Select(i => i.Weight).ToList()));
        if (inputs.Any(i => !double.IsFinite(i.Weight))) errors.Add("weights: every weight must be a finite number");
        var (shapes, shapeErrors) = Union(inputs.Select(i => i.TaskVectors));
        errors.AddRange(shapeErrors);
        Keys = shapes.Keys.Order(StringComparer.Ordinal).ToList();
        Shapes = shapes;
        if (method.NeedsFisher)
            foreach (var input in inputs)
            {
                if (input.Fisher is null) { errors.Add($"{input.TaskVectors.Name}: the {method.Name} method needs its Fisher"); continue; }
                var missing = Keys.Where(k => !input.Fisher.Shapes.TryGetValue(k, out var s) || !s.SequenceEqual(shapes[k])).ToList();
                if (missing.Count > 0)
                    errors.Add($"{input.TaskVectors.Name}: its Fisher lacks (or has another shape for) {missing.Count} merged tensor(s), e.g. '{missing[0]}'");
            }
        if (errors.Count > 0)
            throw new CadreException($"cannot merge: {string.Join("; ", errors)}");
    }

    /// <summary>Every key the sources have with its shape, and every key whose shape differs between sources.</summary>
    public static (Dictionary<string, long[]> Shapes, List<string> Errors) Union(IEnumerable<ITensorSource> sources)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var source in sources)
            foreach (var (key, shape) in source.Shapes)
            {
                if (!shapes.TryGetValue(key, out var known))
                {
                    shapes[key] = shape;
                    owners[key] = source.Name;
                }
                else if (!known.SequenceEqual(shape))
                    errors.Add($"'{key}' has shape [{string.Join(", ", shape)}] in {source.Name} but [{string.Join(", ", known)}] in {owners[key]}");
            }
        return (shapes, errors);
    }

    /// <summary>Every key some input has, in UTF-8 order.</summary>
    public IReadOnlyList<string> Keys { get; }

    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>Called with each key as its inputs are read (tests check that reads stay one key at a time).</summary>
    public Action<string>? OnRead { get; init; }

    /// <summary>The merged task vector of <paramref name="key"/> (float32), owned by the caller.</summary>
    public Tensor Merge(string key)
    {
        if (!Shapes.TryGetValue(key, out var shape))
            throw new ArgumentException($"no input has '{key}'", nameof(key));
        OnRead?.Invoke(key);
        using var scope = NewDisposeScope();
        var vectors = _inputs.Select(i => i.TaskVectors.Shapes.ContainsKey(key) ? i.TaskVectors.Read(key) : zeros(shape)).ToList();
        var fishers = _method.NeedsFisher ? _inputs.Select(i => i.Fisher!.Read(key)).ToList() : null;
        var merged = _method.Merge(new MergeTensors(key, vectors, _inputs.Select(i => i.Weight).ToList(), _settings, fishers,
                                                    _method.NeedsFisher ? _inputs.Select(i => i.FisherNorm).ToList() : null));
        if (!merged.shape.SequenceEqual(shape))
            throw new InvalidOperationException($"{_method.Name} returned shape [{string.Join(", ", merged.shape)}] for '{key}' of [{string.Join(", ", shape)}]");
        return merged.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
