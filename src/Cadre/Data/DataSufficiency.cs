using System.Globalization;

namespace Cadre.Data;

/// <summary>What <see cref="DataSufficiency"/> found: errors refuse training, warnings are shown and training goes on.</summary>
public sealed record SufficiencyReport(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool Sufficient => Errors.Count == 0;
}

/// <summary>
/// Whether a specialist's data is enough to train and validate on, decided before any model is loaded, with the
/// numbers behind the answer. The minimums are the least that lets training measure anything (docs/spec.md):
/// classification needs two classes in the training split and a non-empty validation split, so a held-out
/// validation split needs two classes with at least <see cref="MinimumRowsPerClass"/> rows each (one to train, one
/// to validate); regression needs <see cref="MinimumRegressionRows"/> rows whose training targets vary; every
/// given file (validation, test) needs a row. A validation or test split of one class, and classes too small to be
/// validated, are warnings.
/// </summary>
public static class DataSufficiency
{
    public const int MinimumClasses = 2;
    public const int MinimumRowsPerClass = 2;
    /// <summary>Two to fit (a spread needs two values) and one to validate.</summary>
    public const int MinimumRegressionRows = 3;

    /// <param name="name">the specialist (or file) the messages start with</param>
    /// <param name="train">every training row, before validation is held out</param>
    /// <param name="fit">the rows training fits on (train less a held-out validation split)</param>
    /// <param name="validation">the validation rows (held out of train, or the validation file)</param>
    /// <param name="heldOut">the share of train held out for validation; null when a validation file is given</param>
    public static SufficiencyReport Check(string name, Dataset train, Dataset fit, Dataset validation, Dataset? test, double? heldOut)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var ci = CultureInfo.InvariantCulture;
        var split = heldOut is { } f
            ? string.Create(ci, $"holding out {f:P0} for validation leaves {fit.Count} {Rows(fit.Count)} to train and {validation.Count} to validate")
            : $"{fit.Count} {Rows(fit.Count)} to train, {validation.Count} in the validation file";
        var need = train.Task == TaskKind.Regression ? $"at least {MinimumRegressionRows} rows (2 to train, 1 to validate)"
            : heldOut is null ? $"at least {MinimumClasses} classes to train and a validation row"
            : $"at least {MinimumClasses} classes with {MinimumRowsPerClass} rows each (one to train, one to validate)";
        if (train.Count == 0)
            errors.Add($"{name}: 0 training rows is too little ({train.File} holds none); need {need}");
        else if (train.Task == TaskKind.Regression)
        {
            if (fit.Count < MinimumRegressionRows - 1 || validation.Count == 0)
                errors.Add($"{name}: {train.Count} training {Rows(train.Count)} is too little: {split}; need {need}");
            else if (Spread(fit) == 0)
                errors.Add(string.Create(ci, $"{name}: all {fit.Count} training targets are {fit.Examples[0].Target:G6}: a regression target needs spread"));
        }
        else
        {
            var counts = ClassCounts(train);
            var fitClasses = ClassCounts(fit).Count;
            var small = counts.Where(c => c.Value < MinimumRowsPerClass).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
            var smallText = small.Count == 0 ? "" : $"; classes under {MinimumRowsPerClass} rows: "
                + string.Join(", ", small.Take(5).Select(c => $"{c.Key} ({c.Value})")) + (small.Count > 5 ? $" and {small.Count - 5} more" : "");
            var what = $"{name}: {train.Count} training {Rows(train.Count)} of {counts.Count} {(counts.Count == 1 ? "class" : "classes")}";
            if (counts.Count < MinimumClasses && train.Task == TaskKind.Classification)
                errors.Add($"{what} ('{counts.Keys.First()}') is too little: a classifier needs at least {MinimumClasses} classes");
            else if (counts.Count == 0)
                errors.Add($"{what} is too little: no row carries a label");
            else if (fitClasses < Math.Min(MinimumClasses, counts.Count) || fit.Count == 0 || validation.Count == 0)
                errors.Add($"{what} is too little: {split}; need {need}{smallText}");
            else if (heldOut is not null && small.Count > 0)
                warnings.Add($"{name}: {small.Count} {(small.Count == 1 ? "class has" : "classes have")} a single training row and {(small.Count == 1 ? "is" : "are")} never validated" + smallText[smallText.IndexOf(':')..]);
            if (errors.Count == 0 && train.Task == TaskKind.Classification)
                foreach (var (role, data) in new[] { ("validation", validation), ("test", test) })
                    if (data is { Count: > 0 } && ClassCounts(data) is { Count: 1 } one)
                        warnings.Add($"{name}: the {role} split's {data.Count} {Rows(data.Count)} are all '{one.Keys.First()}': its metrics say nothing about the other {counts.Count - 1} {(counts.Count == 2 ? "class" : "classes")}");
        }
        if (heldOut is null && validation.Count == 0 && train.Count > 0)
            errors.Add($"{name}: the validation file has no rows ({validation.File})");
        if (test is { Count: 0 })
            errors.Add($"{name}: the test file has no rows ({test.File})");
        return new SufficiencyReport(errors, warnings);
    }

    /// <summary>Throws the errors as one line; returns the warnings.</summary>
    public static IReadOnlyList<string> Require(SufficiencyReport report) =>
        report.Sufficient ? report.Warnings : throw new CadreException(string.Join("; ", report.Errors));

    private static string Rows(int n) => n == 1 ? "row" : "rows";

    private static Dictionary<string, int> ClassCounts(Dataset data) =>
        data.Examples.SelectMany(e => e.Labels ?? (e.Label is null ? [] : [e.Label]))
            .GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private static double Spread(Dataset data)
    {
        var targets = data.Examples.Select(e => e.Target ?? 0).ToList();
        return targets.Max() - targets.Min();
    }
}
