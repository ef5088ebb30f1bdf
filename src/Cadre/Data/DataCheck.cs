using System.Globalization;
using System.Text;
using Cadre.Util;

namespace Cadre.Data;

/// <summary>Rows that share a text, by their lines, with the labels they carry.</summary>
public sealed record DuplicateGroup(string Text, IReadOnlyList<int> Lines, IReadOnlyList<string> Labels)
{
    public bool ConflictingLabels => Labels.Distinct(StringComparer.Ordinal).Count() > 1;
}

/// <summary>
/// A training row whose text also appears in an evaluation file: exactly, after normalization, or (with
/// <see cref="Similarity"/> under 1) as a near copy, in which case <see cref="TrainText"/> is the training row's text.
/// </summary>
public sealed record Leak(string Text, int TrainLine, string OtherFile, int OtherLine, bool Exact, double Similarity = 1, string? TrainText = null)
{
    /// <summary>
    /// Found by MinHash rather than by equal text. Told by the training text it carries, not by the similarity: two
    /// texts that differ can still share every 5-gram (Jaccard 1), and such a leak is near, not normalized.
    /// </summary>
    public bool Near => TrainText is not null;

    /// <summary>exact, normalized or near: every leak is exactly one of the three.</summary>
    public string Kind => Exact ? "exact" : Near ? "near" : "normalized";
}

/// <summary>Switches of <see cref="DataCheck.Run(Dataset, IReadOnlyList{Dataset}, DataCheckOptions)"/>.</summary>
public sealed record DataCheckOptions
{
    /// <summary>Jaccard similarity of character 5-grams at which two texts are near duplicates. Default 0.8.</summary>
    public double NearThreshold { get; init; } = 0.8;
    /// <summary>Look for near duplicates and near leaks (MinHash). Default true.</summary>
    public bool Near { get; init; } = true;
}

/// <summary>One label's share of the training rows.</summary>
public sealed record ClassCount(string Label, int Count, double Share);

/// <summary>The spread of regression targets.</summary>
public sealed record TargetSummary(double Min, double Mean, double Max, double Std);

/// <summary>What <see cref="DataCheck"/> found; <see cref="Render"/> gives the short summary printed before training.</summary>
public sealed record DataCheckReport(
    int Rows,
    IReadOnlyList<DuplicateGroup> ExactDuplicates,
    IReadOnlyList<DuplicateGroup> NormalizedDuplicates,
    IReadOnlyList<Leak> Leaks,
    IReadOnlyList<ClassCount> Classes,
    TargetSummary? Targets = null)
{
    /// <summary>Groups of near copies (texts that differ after normalization); empty when the check skipped them.</summary>
    public IReadOnlyList<Quality.NearDuplicateGroup> NearDuplicates { get; init; } = [];
    public double NearThreshold { get; init; } = 0.8;

    /// <summary>Most frequent over least frequent class; 1 when balanced.</summary>
    public double ImbalanceRatio => Classes.Count < 2 ? 1 : (double)Classes.Max(c => c.Count) / Math.Max(1, Classes.Min(c => c.Count));

    public string Render(int examples = 3)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        if (Targets is { } t)
            sb.AppendLine(string.Create(ci, $"{Plural.Of(Rows, "row")}, targets {t.Mean:G4} ± {t.Std:G4} (min {t.Min:G4}, max {t.Max:G4})"));
        else
            sb.AppendLine(string.Create(ci, $"{Plural.Of(Rows, "row")}, {Plural.Of(Classes.Count, "class")}, imbalance {ImbalanceRatio:F1}:1"));
        foreach (var c in Classes.OrderByDescending(c => c.Count).Take(10))
            sb.AppendLine(string.Create(ci, $"  {c.Label,-24} {c.Count,7}  {c.Share,6:P1}"));
        if (Classes.Count > 10)
            sb.AppendLine($"  ... and {Classes.Count - 10} more classes");
        Line(sb, "exact duplicates", ExactDuplicates, examples);
        Line(sb, "normalized duplicates (case, Unicode, spacing, punctuation)", NormalizedDuplicates, examples);
        var conflicts = NormalizedDuplicates.Where(g => g.ConflictingLabels).ToList();
        sb.AppendLine($"duplicates with conflicting labels: {conflicts.Count}");
        foreach (var g in conflicts.Take(examples))
            sb.AppendLine($"  lines {string.Join(", ", g.Lines.Take(5))}: [{string.Join(", ", g.Labels.Distinct())}] \"{Clip(g.Text)}\"");
        sb.AppendLine(string.Create(ci, $"near duplicates (Jaccard >= {NearThreshold:0.##}): {Plural.Of(NearDuplicates.Sum(g => g.Lines.Count - 1), "extra row")} in {Plural.Of(NearDuplicates.Count, "group")}, {NearDuplicates.Count(g => g.ConflictingLabels)} with conflicting labels"));
        foreach (var g in NearDuplicates.Take(examples))
            sb.AppendLine($"  lines {string.Join(", ", g.Lines.Take(5))}{(g.Lines.Count > 5 ? ", ..." : "")}: \"{Clip(g.Texts[0])}\" ~ \"{Clip(g.Texts[1])}\"");
        // One leak per evaluation row that copies a training row; the three kinds add up to the total.
        sb.AppendLine($"evaluation rows that copy a training row (leakage): {Leaks.Count} ({Leaks.Count(l => l.Kind == "exact")} exact, {Leaks.Count(l => l.Kind == "normalized")} normalized, {Leaks.Count(l => l.Kind == "near")} near)");
        foreach (var l in Leaks.Take(examples))
            sb.AppendLine($"  train line {l.TrainLine} {(l.Near ? "~" : "=")} {Path.GetFileName(l.OtherFile)} line {l.OtherLine} ({l.Kind}): \"{Clip(l.Text)}\"");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string what, IReadOnlyList<DuplicateGroup> groups, int examples)
    {
        sb.AppendLine($"{what}: {Plural.Of(groups.Sum(g => g.Lines.Count - 1), "extra row")} in {Plural.Of(groups.Count, "group")}");
        foreach (var g in groups.Take(examples))
            sb.AppendLine($"  lines {string.Join(", ", g.Lines.Take(5))}{(g.Lines.Count > 5 ? ", ..." : "")}: \"{Clip(g.Text)}\"");
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";
}

/// <summary>
/// The check printed before training: duplicates (exact, normalized and near, by MinHash), conflicting labels,
/// train/evaluation leakage (exact, normalized and near) and class balance. Hashing only, no model: 100,000 rows
/// take seconds. <c>cadre data check</c> adds the model-based findings (label issues, outliers) on top.
/// </summary>
public static class DataCheck
{
    public static DataCheckReport Run(Dataset train, params Dataset[] evaluation) => Run(train, evaluation, new DataCheckOptions());

    public static DataCheckReport Run(Dataset train, IReadOnlyList<Dataset> evaluation, DataCheckOptions options)
    {
        var exact = Groups(train, e => e.Text);
        var normalized = Groups(train, e => Normalize(e.Text));
        var byExact = new Dictionary<string, int>(StringComparer.Ordinal);
        var byNormal = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in train.Examples)
        {
            byExact.TryAdd(e.Text, e.Line);
            byNormal.TryAdd(Normalize(e.Text), e.Line);
        }
        var index = options.Near ? Quality.NearDuplicates.Build(train.Examples, options.NearThreshold) : null;
        var leaks = new List<Leak>();
        foreach (var other in evaluation)
            foreach (var e in other.Examples)
            {
                if (byExact.TryGetValue(e.Text, out var line))
                    leaks.Add(new Leak(e.Text, line, other.File, e.Line, true));
                else if (byNormal.TryGetValue(Normalize(e.Text), out line))
                    leaks.Add(new Leak(e.Text, line, other.File, e.Line, false));
                else if (index is not null && Quality.NearDuplicates.Nearest(index, e.Text) is { } near)
                    leaks.Add(new Leak(e.Text, near.Train.Line, other.File, e.Line, false, near.Similarity, near.Train.Text));
            }
        var labels = train.Examples.SelectMany(LabelsOf).ToList();
        var classes = labels.GroupBy(l => l, StringComparer.Ordinal)
            .Select(g => new ClassCount(g.Key, g.Count(), (double)g.Count() / Math.Max(1, train.Count)))
            .OrderBy(c => c.Label, StringComparer.Ordinal).ToList();
        var targets = train.Examples.Where(e => e.Target is not null).Select(e => e.Target!.Value).ToList();
        TargetSummary? spread = null;
        if (targets.Count > 0)
        {
            var mean = targets.Average();
            spread = new TargetSummary(targets.Min(), mean, targets.Max(), Math.Sqrt(targets.Average(v => (v - mean) * (v - mean))));
        }
        return new DataCheckReport(train.Count, exact, normalized, leaks, classes, spread)
        {
            NearDuplicates = index is null ? [] : Quality.NearDuplicates.Groups(index),
            NearThreshold = options.NearThreshold,
        };
    }

    /// <summary>Case-folded, NFKC, punctuation and symbols removed, white space collapsed.</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var ch in text.Normalize(NormalizationForm.FormKC).ToLowerInvariant())
        {
            if (char.IsWhiteSpace(ch)) { space = sb.Length > 0; continue; }
            if (char.IsPunctuation(ch) || char.IsSymbol(ch)) continue;
            if (space) { sb.Append(' '); space = false; }
            sb.Append(ch);
        }
        return sb.ToString();
    }

    private static IEnumerable<string> LabelsOf(Example e) => e.Labels ?? (e.Label is null ? [] : [e.Label]);

    private static List<DuplicateGroup> Groups(Dataset data, Func<Example, string> key) =>
        data.Examples.GroupBy(key, StringComparer.Ordinal).Where(g => g.Count() > 1)
            .Select(g => new DuplicateGroup(g.First().Text, g.Select(e => e.Line).ToList(),
                                            g.SelectMany(LabelsOf).ToList()))
            .OrderByDescending(g => g.Lines.Count).ThenBy(g => g.Lines[0]).ToList();
}
