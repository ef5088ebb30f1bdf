using System.Globalization;
using Cadre.Util;

namespace Cadre.Merge;

/// <summary>
/// The parameters of one merge, as given: null means "the method's default" (each method declares which it reads,
/// see <see cref="IMergeMethod.Parameters"/>, and its defaults, see docs/merge.md). Per-input weights are not here
/// but on each <see cref="MergeInput"/>.
/// </summary>
public sealed record MergeSettings
{
    /// <summary>Scale of the merged task vector (task arithmetic's λ). Default 1.</summary>
    public double? Lambda { get; init; }
    /// <summary>Share of each task vector's entries kept: TIES keeps the largest, DARE a random subset. Method default.</summary>
    public double? Density { get; init; }
    /// <summary>Divide the weighted sum by the summed weights (TIES: of the inputs that agree with the elected sign). Method default.</summary>
    public bool? Normalize { get; init; }
    /// <summary>DARE: divide what is kept by the density, so each entry keeps its expected value. Default true.</summary>
    public bool? Rescale { get; init; }
    /// <summary>TIES sign election: <c>sum</c> (the sign of the weighted sum, mergekit's and the paper's) or <c>count</c> (majority of signs). Default sum.</summary>
    public string? Consensus { get; init; }
    /// <summary>Seed of DARE's random drops and of the Fisher estimate's example sample and sampled labels. Default 1.</summary>
    public long? Seed { get; init; }
    /// <summary>Fisher merging: floor under every (normalized) Fisher value, so no entry divides by zero. Default 1e-6.</summary>
    public double? Epsilon { get; init; }
    /// <summary>Fisher merging: divide each input's Fisher by its L2 norm over all merged entries first (Matena and Raffel's default). Default true.</summary>
    public bool? NormalizeFisher { get; init; }
    /// <summary>Fisher estimation: training examples per input. Default 512.</summary>
    public int? FisherExamples { get; init; }
    /// <summary>Fisher estimation: <c>expected</c> (over the model's predictive distribution), <c>sampled</c> or <c>gold</c>. Default expected.</summary>
    public string? FisherLabels { get; init; }
    /// <summary>Fisher estimation, <c>expected</c>: the most probable classes per example that the expectation runs over. Default 8.</summary>
    public int? FisherClasses { get; init; }

    public static readonly IReadOnlyList<string> ConsensusMethods = ["sum", "count"];
    public static readonly IReadOnlyList<string> FisherLabelModes = ["expected", "sampled", "gold"];

    /// <summary>The names of the parameters given (not null), as the YAML form and <c>--</c> options spell them.</summary>
    public IReadOnlyList<string> Given() => Values().Where(p => p.Value is not null).Select(p => p.Key).ToList();

    /// <summary>Every parameter by its snake_case name, null where not given.</summary>
    public IReadOnlyDictionary<string, object?> Values() => new Dictionary<string, object?>
    {
        ["lambda"] = Lambda, ["density"] = Density, ["normalize"] = Normalize, ["rescale"] = Rescale,
        ["consensus"] = Consensus, ["seed"] = Seed, ["epsilon"] = Epsilon, ["normalize_fisher"] = NormalizeFisher,
        ["fisher_examples"] = FisherExamples, ["fisher_labels"] = FisherLabels, ["fisher_classes"] = FisherClasses,
    };

    /// <summary>Every problem with the values themselves, and with parameters the method does not read.</summary>
    public IReadOnlyList<string> Validate(IMergeMethod method)
    {
        var errors = new List<string>();
        foreach (var name in Given().Where(n => !method.Parameters.Contains(n)))
            errors.Add($"parameters.{name}: the {method.Name} method does not read it"
                       + (method.Parameters.Count > 0 ? $" (it reads: {string.Join(", ", method.Parameters)})" : " (it takes only weights)"));
        if (Density is { } d && (d <= 0 || d > 1 || double.IsNaN(d))) errors.Add($"parameters.density: {Text(d)} must be in (0, 1]");
        if (Lambda is { } l && !double.IsFinite(l)) errors.Add("parameters.lambda: must be a finite number");
        if (Consensus is { } c && !ConsensusMethods.Contains(c)) errors.Add($"parameters.consensus: '{c}' is not one of {string.Join(", ", ConsensusMethods)}{Suggest.DidYouMean(c, ConsensusMethods)}");
        if (Epsilon is { } e && (e <= 0 || !double.IsFinite(e))) errors.Add($"parameters.epsilon: {Text(e)} must be > 0");
        if (FisherExamples is <= 0) errors.Add("parameters.fisher_examples: must be > 0");
        if (FisherClasses is <= 0) errors.Add("parameters.fisher_classes: must be > 0");
        if (FisherLabels is { } f && !FisherLabelModes.Contains(f)) errors.Add($"parameters.fisher_labels: '{f}' is not one of {string.Join(", ", FisherLabelModes)}");
        return errors;
    }

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
