using System.Globalization;
using Cadre.Util;

namespace Cadre.Data.Quality;

/// <summary>What <c>cadre data curate</c> changes. Kinds: see <see cref="Kinds"/>.</summary>
public sealed record CurateOptions
{
    public static readonly IReadOnlyList<string> Kinds = ["duplicates", "near_duplicates", "leaks", "label_issues", "outliers"];

    /// <summary>
    /// Finding kinds whose rows are removed. Default duplicates (all but one row of each exact or normalized group,
    /// keeping one with the group's most frequent label), leaks (training rows found in evaluation files) and
    /// label issues. Near duplicates and outliers are reported only by default: near copies are often honest
    /// paraphrases and outliers rare but real inputs.
    /// </summary>
    public IReadOnlySet<string> Remove { get; init; } = new HashSet<string> { "duplicates", "leaks", "label_issues" };
    /// <summary>Give label issues the suggested label instead of removing them. Default false.</summary>
    public bool Relabel { get; init; }

    public IReadOnlyList<string> Validate() =>
        Remove.Where(k => !Kinds.Contains(k)).Select(k => $"--remove: '{k}' is not one of {string.Join(", ", Kinds)}{Suggest.DidYouMean(k, Kinds)}").ToList();
}

/// <summary>One change: a row removed or relabelled, why, and the bytes it had and has (see docs/formats.md).</summary>
public sealed record AuditEntry(string Action, string File, int Line, string Text, string Given, string? New, string Reason,
                                double? Score, long Offset, string Original, string Replacement);

/// <summary>Decides, row by row, what curation does to a checked training set.</summary>
public static class CurationPlan
{
    public sealed record Decision(int Row, bool Remove, string? NewLabel, List<string> Reasons, double? Score);

    public static Dictionary<int, Decision> Make(QualityReport report, CurateOptions options)
    {
        var decisions = new Dictionary<int, Decision>();
        var train = report.Train;
        var rowOfLine = new Dictionary<int, int>();
        for (var i = 0; i < train.Count; i++) rowOfLine.TryAdd(train.Examples[i].Line, i);
        var ci = CultureInfo.InvariantCulture;
        void Remove(int row, string reason, double? score = null)
        {
            if (!decisions.TryGetValue(row, out var d)) decisions[row] = d = new Decision(row, true, null, [], score);
            else if (!d.Remove) decisions[row] = d = d with { Remove = true, NewLabel = null };
            d.Reasons.Add(reason);
        }
        if (options.Remove.Contains("duplicates"))
            foreach (var g in report.Check.NormalizedDuplicates)
                KeepOne(g.Lines.Select(l => rowOfLine[l]).ToList(), train, Remove, "duplicate");
        if (options.Remove.Contains("near_duplicates"))
            foreach (var g in report.Check.NearDuplicates)
                KeepOne(g.Lines.Select(l => rowOfLine[l]).ToList(), train, Remove, "near duplicate");
        if (options.Remove.Contains("leaks"))
            foreach (var l in report.Check.Leaks)
            {
                var kind = l.Exact ? "exact" : l.Near ? string.Create(ci, $"near, Jaccard {l.Similarity:F2}") : "normalized";
                // A leak names the first training row with that text; its duplicates leak as well.
                foreach (var row in SameText(report, l.TrainLine, rowOfLine))
                    Remove(row, $"leaks into {Path.GetFileName(l.OtherFile)} line {l.OtherLine} ({kind})");
            }
        if (options.Remove.Contains("label_issues"))
            foreach (var i in report.LabelIssues)
            {
                var reason = string.Create(ci, $"label issue: self-confidence {i.Score:F4}, suggested '{i.Suggested}' ({i.SuggestedProbability:F2})");
                if (!options.Relabel) Remove(i.Row, reason, i.Score);
                else if (!decisions.ContainsKey(i.Row)) decisions[i.Row] = new Decision(i.Row, false, i.Suggested, [reason], i.Score);
                else decisions[i.Row].Reasons.Add(reason);
            }
        if (options.Remove.Contains("outliers"))
            foreach (var o in report.Outliers)
                Remove(o.Row, string.Create(ci, $"outlier: mean distance {o.Distance:F4} to its nearest neighbours"), o.Score);
        return decisions;
    }

    /// <summary>Keeps the first row carrying the group's most frequent label (ties: the first row's label), removes the rest.</summary>
    private static void KeepOne(List<int> rows, Dataset train, Action<int, string, double?> remove, string what)
    {
        string Label(int r) => train.Examples[r].Label ?? string.Join(",", train.Examples[r].Labels ?? []);
        var majority = rows.GroupBy(Label, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => rows.IndexOf(g.First())).First().Key;
        var kept = rows.First(r => Label(r) == majority);
        foreach (var r in rows.Where(r => r != kept))
            remove(r, Label(r) == majority ? $"{what} of line {train.Examples[kept].Line}"
                                           : $"{what} of line {train.Examples[kept].Line} with a conflicting label ('{Label(r)}' against '{majority}')", null);
    }

    private static IEnumerable<int> SameText(QualityReport report, int line, Dictionary<int, int> rowOfLine)
    {
        var group = report.Check.NormalizedDuplicates.FirstOrDefault(g => g.Lines.Contains(line));
        return group is null ? [rowOfLine[line]] : group.Lines.Select(l => rowOfLine[l]);
    }
}
