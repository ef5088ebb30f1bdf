using System.Text.Encodings.Web;
using System.Text.Json;

namespace Cadre.Data.Quality;

/// <summary>
/// <c>cadre data check --json</c>: one JSON object (documented in docs/formats.md, "data check report") with every
/// finding, each naming its rows by file and 1-based line with their text. Keys are snake_case; lists are ranked
/// (label issues and outliers by score, lowest first; duplicate groups largest first).
/// </summary>
public static class QualityJson
{
    public const int Version = 1;

    public static string Write(QualityReport r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("format_version", Version);
            w.WriteString("file", r.Train.File);
            w.WriteString("task", r.Train.Task.ToString().ToLowerInvariant());
            w.WriteNumber("rows", r.Train.Count);
            w.WriteStartArray("evaluation_files");
            foreach (var e in r.Evaluation) w.WriteStringValue(e.File);
            w.WriteEndArray();
            w.WriteStartObject("counts");
            foreach (var (k, v) in r.Counts()) w.WriteNumber(k, v);
            w.WriteEndObject();
            if (r.Method is not null) { w.WriteString("label_issue_method", r.Method); w.WriteNumber("folds", r.Folds); }

            w.WriteStartArray("label_issues");
            foreach (var i in r.LabelIssues)
            {
                w.WriteStartObject();
                w.WriteString("file", i.File); w.WriteNumber("line", i.Line); w.WriteString("text", i.Text);
                w.WriteString("given", i.Given); w.WriteString("suggested", i.Suggested);
                w.WriteNumber("score", Math.Round(i.Score, 6)); w.WriteNumber("suggested_probability", Math.Round(i.SuggestedProbability, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();

            Groups(w, "exact_duplicates", r.Train.File, r.Check.ExactDuplicates);
            Groups(w, "normalized_duplicates", r.Train.File, r.Check.NormalizedDuplicates);
            w.WriteNumber("near_duplicate_threshold", r.Check.NearThreshold);
            w.WriteStartArray("near_duplicates");
            foreach (var g in r.Check.NearDuplicates)
            {
                w.WriteStartObject();
                w.WriteString("file", r.Train.File);
                w.WriteBoolean("conflicting_labels", g.ConflictingLabels);
                w.WriteStartArray("rows");
                for (var k = 0; k < g.Lines.Count; k++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("line", g.Lines[k]); w.WriteString("text", g.Texts[k]); w.WriteString("label", g.Labels[k]);
                    w.WriteNumber("similarity", Math.Round(g.Similarities[k], 4));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartArray("leaks");
            foreach (var l in r.Check.Leaks)
            {
                w.WriteStartObject();
                w.WriteString("kind", l.Kind);
                w.WriteString("file", r.Train.File); w.WriteNumber("line", l.TrainLine);
                w.WriteString("text", l.TrainText ?? l.Text);
                w.WriteString("other_file", l.OtherFile); w.WriteNumber("other_line", l.OtherLine); w.WriteString("other_text", l.Text);
                w.WriteNumber("similarity", Math.Round(l.Similarity, 4));
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteNumber("outlier_threshold", double.IsFinite(r.OutlierThreshold) ? Math.Round(r.OutlierThreshold, 6) : 0);
            w.WriteStartArray("outliers");
            foreach (var o in r.Outliers)
            {
                w.WriteStartObject();
                w.WriteString("file", o.File); w.WriteNumber("line", o.Line); w.WriteString("text", o.Text); w.WriteString("label", o.Label);
                w.WriteNumber("score", Math.Round(o.Score, 6)); w.WriteNumber("mean_distance", Math.Round(o.Distance, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartObject("class_balance");
            w.WriteNumber("imbalance_ratio", Math.Round(r.Check.ImbalanceRatio, 4));
            w.WriteStartArray("classes");
            foreach (var c in r.Check.Classes)
            {
                w.WriteStartObject();
                w.WriteString("label", c.Label); w.WriteNumber("count", c.Count); w.WriteNumber("share", Math.Round(c.Share, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("class_imbalance");
            foreach (var c in r.Imbalance)
            {
                w.WriteStartObject();
                w.WriteString("label", c.Label); w.WriteNumber("count", c.Count); w.WriteNumber("share", Math.Round(c.Share, 6));
                w.WriteNumber("threshold", Math.Round(c.Threshold, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();

            var skipped = r.Skipped;
            w.WriteNumber("skipped_rows", skipped.Count);
            w.WriteStartArray("skipped");
            foreach (var p in skipped.Take(QualityReport.SkippedShown))
            {
                w.WriteStartObject();
                w.WriteString("file", p.File); w.WriteNumber("line", p.Line); w.WriteString("reason", p.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartArray("stages");
            foreach (var s in r.Stages)
            {
                w.WriteStartObject();
                w.WriteString("stage", s.Stage); w.WriteNumber("seconds", Math.Round(s.Seconds, 3)); w.WriteString("detail", s.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("notes");
            foreach (var n in r.Notes) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteStartArray("warnings");
            foreach (var n in r.Warnings) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteStartArray("errors");
            foreach (var n in r.Errors) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Groups(Utf8JsonWriter w, string name, string file, IReadOnlyList<DuplicateGroup> groups)
    {
        w.WriteStartArray(name);
        foreach (var g in groups)
        {
            w.WriteStartObject();
            w.WriteString("file", file); w.WriteString("text", g.Text);
            w.WriteBoolean("conflicting_labels", g.ConflictingLabels);
            w.WriteStartArray("lines");
            foreach (var l in g.Lines) w.WriteNumberValue(l);
            w.WriteEndArray();
            w.WriteStartArray("labels");
            foreach (var l in g.Labels) w.WriteStringValue(l);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
