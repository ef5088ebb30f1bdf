namespace Cadre.Data.Quality;

/// <summary>A row whose label confident learning doubts. Score: its self-confidence (lower is more suspect).</summary>
public sealed record LabelIssueFinding(int Row, string File, int Line, string Text, string Given, string Suggested, double Score,
                                       double SuggestedProbability);

/// <summary>A row far from its nearest neighbours. Score: exp(−distance / median distance), lower is more outlying.</summary>
public sealed record OutlierFinding(int Row, string File, int Line, string Text, string Label, double Score, double Distance);

/// <summary>A class with less than a tenth of the uniform share (cleanlab Datalab's class-imbalance rule).</summary>
public sealed record ImbalanceFinding(string Label, int Count, double Share, double Threshold);

/// <summary>How long one stage of a check took.</summary>
public sealed record StageTime(string Stage, double Seconds, string Detail = "");

/// <summary>
/// Everything <c>cadre data check</c> found in one training set: the hashing checks (<see cref="DataCheckReport"/>),
/// label issues, outliers and class imbalance, with the stages' times. <see cref="Notes"/> say what was skipped and why.
/// </summary>
public sealed record QualityReport(
    Dataset Train,
    IReadOnlyList<Dataset> Evaluation,
    DataCheckReport Check,
    IReadOnlyList<LabelIssueFinding> LabelIssues,
    IReadOnlyList<OutlierFinding> Outliers,
    IReadOnlyList<ImbalanceFinding> Imbalance,
    IReadOnlyList<StageTime> Stages,
    IReadOnlyList<string> Notes)
{
    /// <summary>The out-of-fold method behind label issues (<c>head</c> or <c>lora</c>), or null when none ran.</summary>
    public string? Method { get; init; }
    public int Folds { get; init; }
    public double OutlierThreshold { get; init; }
    /// <summary>Why training would refuse this data (<see cref="DataSufficiency"/>); <c>data check</c> then exits non-zero.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
    /// <summary>What training would warn about: a validation or test split of one class, a quote that merged records.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Rows left out of every file read (train, then evaluation) because <c>--skip-invalid</c> skipped them.</summary>
    public IReadOnlyList<DataProblem> Skipped => [.. Train.Skipped.Concat(Evaluation.SelectMany(e => e.Skipped))];

    /// <summary>Skipped rows listed in <c>--json</c> and <c>--html</c>; the count covers them all.</summary>
    public const int SkippedShown = 100;

    /// <summary>Rows of the training set that normalized-duplicate groups with conflicting labels hold.</summary>
    public IEnumerable<DuplicateGroup> ConflictingDuplicates => Check.NormalizedDuplicates.Where(g => g.ConflictingLabels);

    /// <summary>Counts of each finding kind, for summaries and <c>--fail-on</c>.</summary>
    public IReadOnlyDictionary<string, int> Counts() => new Dictionary<string, int>
    {
        ["exact_duplicates"] = Check.ExactDuplicates.Sum(g => g.Lines.Count - 1),
        ["normalized_duplicates"] = Check.NormalizedDuplicates.Sum(g => g.Lines.Count - 1),
        ["near_duplicates"] = Check.NearDuplicates.Sum(g => g.Lines.Count - 1),
        ["conflicting_labels"] = ConflictingDuplicates.Count() + Check.NearDuplicates.Count(g => g.ConflictingLabels),
        ["leaks"] = Check.Leaks.Count,
        ["label_issues"] = LabelIssues.Count,
        ["outliers"] = Outliers.Count,
        ["class_imbalance"] = Imbalance.Count,
    };

    public static readonly IReadOnlyList<string> Kinds =
        ["exact_duplicates", "normalized_duplicates", "near_duplicates", "conflicting_labels", "leaks", "label_issues", "outliers", "class_imbalance"];
}

/// <summary>Outliers and imbalance from precomputed quantities (no model here: see Training/QualityCheck).</summary>
public static class QualityRules
{
    /// <summary>cleanlab Datalab's default for features: an outlier lies beyond Q3 + (1/0.37037 − 1) · IQR = Q3 + 1.7 · IQR.</summary>
    public const double IqrScale = 1 / 0.37037 - 1;

    /// <summary>Rows whose mean distance to their k nearest neighbours lies beyond Q3 + 1.7 IQR, most outlying first.</summary>
    public static (List<(int Row, double Score, double Distance)> Outliers, double Threshold) Outliers(IReadOnlyList<double> meanDistances)
    {
        if (meanDistances.Count < 4) return ([], double.PositiveInfinity);
        var sorted = meanDistances.Order().ToArray();
        var q1 = Percentile(sorted, 25);
        var q3 = Percentile(sorted, 75);
        var threshold = q3 + IqrScale * (q3 - q1);
        var median = Math.Max(Percentile(sorted, 50), 1e-12);
        var found = Enumerable.Range(0, meanDistances.Count).Where(i => meanDistances[i] > threshold)
            .Select(i => (Row: i, Score: Math.Exp(-meanDistances[i] / median), Distance: meanDistances[i]))
            .OrderBy(o => o.Score).ThenBy(o => o.Row).ToList();
        return (found, threshold);
    }

    /// <summary>Classes whose share is under a tenth of 1/K (cleanlab Datalab's class_imbalance threshold 0.1).</summary>
    public static List<ImbalanceFinding> Imbalance(IReadOnlyList<ClassCount> classes)
    {
        if (classes.Count < 2) return [];
        var threshold = 0.1 / classes.Count;
        return classes.Where(c => c.Share < threshold).OrderBy(c => c.Share)
            .Select(c => new ImbalanceFinding(c.Label, c.Count, c.Share, threshold)).ToList();
    }

    /// <summary>numpy's default (linear) percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double percent)
    {
        var position = (sorted.Length - 1) * percent / 100;
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
