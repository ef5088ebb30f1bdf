using System.Globalization;
using System.Net;
using System.Text;

namespace Cadre.Data.Quality;

/// <summary>
/// <c>cadre data check --html FILE</c>: one self-contained page (inline CSS, no script, no outside asset) with a
/// table per finding, most suspect first. Every piece of data goes through <see cref="WebUtility.HtmlEncode"/>,
/// so a row holding markup shows as text. Tables stop at <see cref="MaxRows"/> rows; <c>--json</c> has them all.
/// </summary>
public static class QualityHtml
{
    public const int MaxRows = 500;

    public static string Write(QualityReport r)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cadre data check: ")
          .Append(E(Path.GetFileName(r.Train.File))).Append("</title>\n<style>")
          .Append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}")
          .Append("td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top;text-align:left}th{background:#f3f3f3}")
          .Append("td.n{text-align:right;font-variant-numeric:tabular-nums}.bar{background:#4a7bd0;height:10px}")
          .Append(".given{color:#b00}.suggested{color:#070}.muted{color:#777}</style></head><body>\n");
        sb.Append("<h1>Data check: ").Append(E(r.Train.File)).Append("</h1>\n<p>")
          .Append(r.Train.Count.ToString("N0", ci)).Append(" rows, task ").Append(E(r.Train.Task.ToString().ToLowerInvariant()));
        if (r.Evaluation.Count > 0)
            sb.Append("; compared with ").Append(E(string.Join(", ", r.Evaluation.Select(e => e.File))));
        sb.Append(".</p>\n");
        foreach (var n in r.Notes) sb.Append("<p class=\"muted\">").Append(E(n)).Append("</p>\n");
        foreach (var n in r.Warnings.Select(w => "warning: " + w).Concat(r.Errors.Select(e => "too little data: " + e)))
            sb.Append("<p>").Append(E(n)).Append("</p>\n");

        sb.Append("<h2>Summary</h2><table><tr><th>finding</th><th>rows</th></tr>");
        foreach (var (k, v) in r.Counts()) sb.Append("<tr><td>").Append(E(k.Replace('_', ' '))).Append("</td><td class=\"n\">").Append(v).Append("</td></tr>");
        sb.Append("</table>\n<table><tr><th>stage</th><th>seconds</th><th>detail</th></tr>");
        foreach (var s in r.Stages)
            sb.Append("<tr><td>").Append(E(s.Stage)).Append("</td><td class=\"n\">").Append(s.Seconds.ToString("F2", ci)).Append("</td><td>").Append(E(s.Detail)).Append("</td></tr>");
        sb.Append("</table>\n");

        Section(sb, $"Label issues ({r.LabelIssues.Count}, by self-confidence, lowest first; {r.Folds}-fold {r.Method ?? "none"})",
            ["#", "line", "text", "given", "suggested", "self-confidence"], r.LabelIssues.Select((i, k) => new[]
            {
                N(k + 1), N(i.Line), E(i.Text), $"<span class=\"given\">{E(i.Given)}</span>",
                $"<span class=\"suggested\">{E(i.Suggested)}</span> ({i.SuggestedProbability.ToString("F2", ci)})", i.Score.ToString("F4", ci),
            }));
        Section(sb, $"Duplicates with conflicting labels ({r.ConflictingDuplicates.Count()})", ["lines", "labels", "text"],
            r.ConflictingDuplicates.Select(g => new[] { E(string.Join(", ", g.Lines)), E(string.Join(", ", g.Labels)), E(g.Text) }));
        Section(sb, $"Exact and normalized duplicates ({r.Check.NormalizedDuplicates.Count} groups)", ["lines", "labels", "text"],
            r.Check.NormalizedDuplicates.Select(g => new[] { E(string.Join(", ", g.Lines)), E(string.Join(", ", g.Labels)), E(g.Text) }));
        Section(sb, $"Near duplicates ({r.Check.NearDuplicates.Count} groups, Jaccard ≥ {r.Check.NearThreshold.ToString("0.##", ci)})",
            ["lines", "labels", "texts (similarity to the first)"],
            r.Check.NearDuplicates.Select(g => new[]
            {
                E(string.Join(", ", g.Lines)), E(string.Join(", ", g.Labels)),
                string.Join("<br>", g.Texts.Select((t, k) => $"{E(t)} <span class=\"muted\">({g.Similarities[k].ToString("F2", ci)})</span>")),
            }));
        Section(sb, $"Train/evaluation leakage ({r.Check.Leaks.Count})", ["train line", "kind", "evaluation row", "text"],
            r.Check.Leaks.Select(l => new[]
            {
                N(l.TrainLine), l.Exact ? "exact" : l.Near ? $"near ({l.Similarity.ToString("F2", ci)})" : "normalized",
                E($"{Path.GetFileName(l.OtherFile)}:{l.OtherLine}"), l.Near ? $"{E(l.TrainText ?? "")}<br><span class=\"muted\">{E(l.Text)}</span>" : E(l.Text),
            }));
        Section(sb, $"Outliers ({r.Outliers.Count}, mean distance to the nearest neighbours beyond {r.OutlierThreshold.ToString("F3", ci)})",
            ["line", "label", "text", "score", "distance"],
            r.Outliers.Select(o => new[] { N(o.Line), E(o.Label), E(o.Text), o.Score.ToString("F4", ci), o.Distance.ToString("F4", ci) }));

        var skipped = r.Skipped;
        if (skipped.Count > 0)
            Section(sb, $"Skipped invalid rows ({skipped.Count}, --skip-invalid; not checked{(skipped.Count > QualityReport.SkippedShown ? $"; the first {QualityReport.SkippedShown} listed" : "")})",
                ["file", "line", "reason"],
                skipped.Take(QualityReport.SkippedShown).Select(p => new[] { E(p.File), N(p.Line), E(p.Message) }));

        sb.Append("<h2>Class balance (imbalance ").Append(r.Check.ImbalanceRatio.ToString("F1", ci)).Append(":1)</h2><table><tr><th>label</th><th>rows</th><th>share</th><th></th></tr>");
        var max = r.Check.Classes.Count == 0 ? 1 : r.Check.Classes.Max(c => c.Share);
        var rare = r.Imbalance.Select(i => i.Label).ToHashSet(StringComparer.Ordinal);
        foreach (var c in r.Check.Classes.OrderByDescending(c => c.Count))
            sb.Append("<tr><td>").Append(E(c.Label)).Append(rare.Contains(c.Label) ? " <span class=\"given\">(rare)</span>" : "")
              .Append("</td><td class=\"n\">").Append(c.Count).Append("</td><td class=\"n\">").Append(c.Share.ToString("P1", ci))
              .Append("</td><td><div class=\"bar\" style=\"width:").Append((200 * c.Share / max).ToString("F0", ci)).Append("px\"></div></td></tr>");
        sb.Append("</table>\n</body></html>\n");
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, string[] headers, IEnumerable<string[]> rows)
    {
        sb.Append("<h2>").Append(E(title)).Append("</h2>\n");
        var list = rows.Take(MaxRows + 1).ToList();
        if (list.Count == 0) { sb.Append("<p class=\"muted\">none</p>\n"); return; }
        sb.Append("<table><tr>");
        foreach (var h in headers) sb.Append("<th>").Append(E(h)).Append("</th>");
        sb.Append("</tr>\n");
        foreach (var row in list.Take(MaxRows))
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(cell).Append("</td>"); // cells are encoded by the caller
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");
        if (list.Count > MaxRows) sb.Append("<p class=\"muted\">first ").Append(MaxRows).Append(" shown; --json lists all</p>\n");
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}
