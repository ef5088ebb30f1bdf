using System.Globalization;
using System.Text;
using Cadre.Util;

namespace Cadre.Data.Quality;

/// <summary>The terminal summary of <c>cadre data check</c>: the pre-training check, then the model-based findings.</summary>
public static class QualityText
{
    public static string Render(QualityReport r, int top = 10)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"{r.Train.File}");
        sb.Append(r.Check.Render(Math.Min(top, 5)));
        foreach (var c in r.Imbalance)
            sb.AppendLine(string.Create(ci, $"class imbalance: '{c.Label}' has {Plural.Of(c.Count, "row")} ({c.Share:P2}), under a tenth of the uniform share ({c.Threshold:P2})"));
        if (r.Method is not null)
        {
            sb.AppendLine($"label issues ({r.Folds}-fold {r.Method}, confident learning): {r.LabelIssues.Count}");
            foreach (var i in r.LabelIssues.Take(top))
                sb.AppendLine(string.Create(ci, $"  line {i.Line}: given '{i.Given}', suggested '{i.Suggested}' ({i.SuggestedProbability:F2}), self-confidence {i.Score:F3}: \"{Clip(i.Text)}\""));
            if (r.LabelIssues.Count > top) sb.AppendLine($"  ... and {r.LabelIssues.Count - top} more (--json or --html lists all)");
        }
        if (double.IsFinite(r.OutlierThreshold) && r.OutlierThreshold > 0)
        {
            sb.AppendLine(string.Create(ci, $"outliers (mean cosine distance to the nearest neighbours > {r.OutlierThreshold:F3}): {r.Outliers.Count}"));
            foreach (var o in r.Outliers.Take(Math.Min(top, 5)))
                sb.AppendLine(string.Create(ci, $"  line {o.Line} ({o.Label}): distance {o.Distance:F3}: \"{Clip(o.Text)}\""));
        }
        var skipped = r.Skipped;
        if (skipped.Count > 0)
        {
            sb.AppendLine($"skipped (--skip-invalid): {Plural.Of(skipped.Count, "invalid row")}, not checked");
            foreach (var p in skipped.Take(Math.Min(top, 5)))
                sb.AppendLine($"  {p}");
            if (skipped.Count > Math.Min(top, 5)) sb.AppendLine($"  ... and {skipped.Count - Math.Min(top, 5)} more (--json or --html lists the first {QualityReport.SkippedShown})");
        }
        foreach (var n in r.Notes) sb.AppendLine($"note: {n}");
        foreach (var w in r.Warnings) sb.AppendLine($"warning: {w}");
        foreach (var e in r.Errors) sb.AppendLine($"too little data: {e}");
        sb.AppendLine("stages: " + string.Join(", ", r.Stages.Select(s => string.Create(ci, $"{s.Stage} {s.Seconds:F1} s"))));
        return sb.ToString();
    }

    private static string Clip(string s)
    {
        s = s.ReplaceLineEndings(" ");
        return s.Length <= 80 ? s : s[..77] + "...";
    }
}
