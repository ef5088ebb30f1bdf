using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Specialists;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre predict NAME [--json] [TEXT...] [--input FILE]</c>: label and class probabilities per text.</summary>
internal static class PredictCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The specialist: NAME, or NAME@REV for another version than HEAD." };
        var json = new Option<bool>("--json") { Description = "One JSON object per line: {\"text\", \"label\", \"probabilities\"}; a merged specialist's has \"tasks\": {task: {...}}." };
        var input = new Option<string?>("--input") { Description = "A file with one text per line ('-' for standard input)." };
        var task = new Option<string?>("--task") { Description = "Answer only this task of a merged specialist." };
        var texts = new Argument<string[]>("text") { Description = "Texts to classify.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("predict", "Classify texts with a trained specialist (a merged one answers each of its tasks).") { name, json, input, task, texts };
        command.SetAction(parse =>
        {
            var all = TextInputs.Read(parse.GetValue(texts), parse.GetValue(input));
            var at = Store.VersionSpec.Parse(parse.GetRequiredValue(name));
            using var model = SpecialistModel.Load(context.Home, at.Name, at.Rev);
            var only = parse.GetValue(task);
            var answers = model.PredictAll(all).Where(t => only is null || t.Task.Name == model.Record.TaskNamed(only).Name).ToList();
            var multi = answers.Count > 1;
            for (var i = 0; i < all.Count; i++)
            {
                if (parse.GetValue(json))
                {
                    var text = all[i];
                    context.Out.WriteLine(multi
                        ? JsonSerializer.Serialize(new { text, tasks = answers.ToDictionary(a => a.Task.Name, a => Json(a.Predictions[i])) })
                        : JsonSerializer.Serialize(WithText(text, Json(answers[0].Predictions[i]))));
                    continue;
                }
                foreach (var a in answers)
                    context.Out.WriteLine((multi ? a.Task.Name + "\t" : "") + Line(a.Predictions[i]));
            }
            return 0;
        });
        return command.WithExamples(
            "cadre predict NAME \"some text\" \"more text\"",
            "cadre predict NAME --json --input FILE");
    }

    /// <summary>One prediction without its text, as JSON members: value, labels and probabilities, or label and probabilities.</summary>
    private static Dictionary<string, object> Json(Prediction p) =>
        p.Value is { } v ? new() { ["value"] = v }
        : p.Labels is { } chosen ? new() { ["labels"] = chosen, ["probabilities"] = p.Probabilities }
        : new() { ["label"] = p.Label, ["probabilities"] = p.Probabilities };

    private static Dictionary<string, object> WithText(string text, Dictionary<string, object> members) =>
        new[] { KeyValuePair.Create("text", (object)text) }.Concat(members).ToDictionary(p => p.Key, p => p.Value);

    private static string Line(Prediction p)
    {
        var ci = CultureInfo.InvariantCulture;
        if (p.Value is { } value)
            return string.Create(ci, $"{value:G6}\t{p.Text}");
        if (p.Labels is { } labels)
            return string.Create(ci, $"{(labels.Count == 0 ? "(none)" : string.Join(",", labels.Select(l => string.Create(ci, $"{l}:{p.Probabilities[l]:F2}"))))}\t{p.Text}");
        return string.Create(ci, $"{p.Label}\t{p.Probabilities[p.Label]:F3}\t{p.Text}");
    }
}
