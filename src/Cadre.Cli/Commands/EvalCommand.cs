using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Data;
using Cadre.Specialists;
using Cadre.Tasks;
using Cadre.Training;
using Cadre.Specs;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre eval NAME --data FILE [--json] [--plot OUT.png]</c>: the task's metrics (classification: accuracy,
/// macro-F1, per class, confusion matrix, ECE; multilabel: micro/macro-F1 and per label; regression: MAE, RMSE,
/// Spearman); <c>--plot</c> also draws a classifier's confusion matrix as a PNG. A merged specialist evaluates the task
/// that <c>--task</c> names, with that task's column settings.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The specialist: NAME, or NAME@REV for another version than HEAD." };
        var data = new Option<string>("--data") { Description = "A labelled file, read with the specialist's column settings.", Required = true };
        var text = new Option<string?>("--text") { Description = "Text column (name or index), if it differs from training." };
        var label = new Option<string?>("--label") { Description = "Label column (name or index), if it differs from training." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the metrics." };
        var plot = new Option<string?>("--plot") { Description = "Also write the confusion matrix as a PNG image to this path." };
        var task = new Option<string?>("--task") { Description = "The task to evaluate, for a merged specialist that answers several." };
        var command = new Command("eval", "Evaluate a specialist on a labelled file.") { name, data, text, label, json, plot, task };
        command.SetAction(parse =>
        {
            // Checked before the model is loaded, not after a long evaluation.
            var plotPath = parse.GetValue(plot) is { } p ? ConfusionPlot.CheckPath(p) : null;
            var at = Store.VersionSpec.Parse(parse.GetRequiredValue(name));
            using var model = SpecialistModel.Load(context.Home, at.Name, at.Rev);
            var chosen = model.Record.TaskNamed(parse.GetValue(task));
            var spec = chosen.Spec;
            var source = SpecFile.Source(spec, Path.GetFullPath(parse.GetRequiredValue(data))) with
            {
                Text = parse.GetValue(text) is { } t ? ColumnRef.Parse(t) : spec.Data.Text,
                Label = parse.GetValue(label) is { } l ? ColumnRef.Parse(l) : spec.Data.Label,
                Labels = null,
            };
            if (plotPath is not null && chosen.Kind != TaskKind.Classification)
                throw new CadreException($"--plot draws a confusion matrix, which a {chosen.Task} task does not have");
            var m = model.Evaluate(DatasetReader.Read(source), chosen.Name);
            var ci = CultureInfo.InvariantCulture;
            if (plotPath is not null && m is ClassificationMetrics plotted)
            {
                var title = string.Create(ci, $"{model.Record.Name}{(model.Record.TaskList.Count > 1 ? "/" + chosen.Name : "")} on {Path.GetFileName(source.Path)}: accuracy {plotted.Accuracy:F3}");
                ConfusionPlot.Save(plotted.Labels, plotted.Confusion, plotPath, title);
                if (!ConfusionPlot.CanDrawText())
                    context.Error.WriteLine("note: no usable font found, so the plot has no text (on Debian: apt install fonts-dejavu-core)");
            }
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(m, m.GetType()));
                if (plotPath is not null)
                    context.Error.WriteLine($"wrote {plotPath}"); // stdout stays one JSON object
                return 0;
            }
            context.Out.WriteLine(MetricText.Line(m.Summary()));
            var perClass = m switch { ClassificationMetrics c => c.PerClass, MultilabelMetrics ml => ml.PerLabel, _ => null };
            if (perClass is not null)
            {
                context.Out.WriteLine($"{"label",-24} {"precision",9} {"recall",9} {"f1",9} {"support",8}");
                foreach (var c in perClass)
                    context.Out.WriteLine(string.Create(ci, $"{c.Label,-24} {c.Precision,9:F4} {c.Recall,9:F4} {c.F1,9:F4} {c.Support,8}"));
            }
            if (m is ClassificationMetrics cm)
            {
                context.Out.WriteLine("confusion (rows: gold, columns: predicted, in the order above):");
                foreach (var row in cm.Confusion)
                    context.Out.WriteLine("  " + string.Join(' ', row.Select(v => v.ToString(ci).PadLeft(6))));
            }
            if (plotPath is not null)
                context.Out.WriteLine($"wrote {plotPath}");
            return 0;
        });
        return command.WithExamples(
            "cadre eval NAME --data FILE --plot confusion.png");
    }
}
