using System.Text.RegularExpressions;
using Cadre.Merge;
using Cadre.Util;

namespace Cadre.Composition;

/// <summary>One input of a merge request: a stored specialist and its weight (default 1).</summary>
public sealed record MergeRequestInput(string Specialist, double Weight = 1);

/// <summary>
/// What <c>cadre merge</c> (flags or YAML) and code ask for: the merged specialist's name, the method, the inputs
/// with their weights, the method's parameters, and the output: a LoRA at <see cref="Rank"/> (default: the largest
/// input rank), or the base with the merged weights in it (<see cref="IntoBase"/>, no factorization error).
/// </summary>
public sealed partial record MergeRequest
{
    public required string Name { get; init; }
    public required string Method { get; init; }
    public required IReadOnlyList<MergeRequestInput> Inputs { get; init; }
    public MergeSettings Parameters { get; init; } = new();
    /// <summary>The LoRA rank of a merged LoRA; default the largest rank among the inputs.</summary>
    public int? Rank { get; init; }
    /// <summary>Write a full fine-tune (base weights + merged updates) instead of a LoRA. Default false.</summary>
    public bool IntoBase { get; init; }
    /// <summary>Evaluate every task on its recorded splits after merging and store the metrics. Default true.</summary>
    public bool Evaluate { get; init; } = true;

    /// <summary>Every problem of the request itself (the inputs are checked when they are loaded).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!NamePattern().IsMatch(Name)) errors.Add($"name: '{Name}' must be 1-64 lower-case letters, digits, '.', '_' or '-'");
        var method = MergeMethods.All.FirstOrDefault(m => m.Name == Method);
        if (method is null)
            errors.Add($"method: '{Method}' is not one of {string.Join(", ", MergeMethods.All.Select(m => m.Name))}{Suggest.DidYouMean(Method, MergeMethods.All.Select(m => m.Name))}");
        if (Inputs.Count < 2) errors.Add($"inputs: a merge needs at least two specialists, got {Inputs.Count}");
        foreach (var (input, i) in Inputs.Select((x, i) => (x, i)))
        {
            if (!NamePattern().IsMatch(input.Specialist)) errors.Add($"inputs[{i}].specialist: '{input.Specialist}' is not a specialist name");
            if (!double.IsFinite(input.Weight)) errors.Add($"inputs[{i}].weight: must be a finite number");
        }
        if (Inputs.Any(i => i.Specialist == Name)) errors.Add($"name: '{Name}' is also an input; give the merge its own name");
        if (Rank is <= 0 or > 4096) errors.Add("rank: must be between 1 and 4096");
        if (Rank is not null && IntoBase) errors.Add("rank: a merge into the base is not factored, so it takes no rank");
        if (method is not null)
        {
            errors.AddRange(Parameters.Validate(method));
            errors.AddRange(method.ValidateWeights(Inputs.Select(i => i.Weight).ToList()));
        }
        return errors;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
