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
        var json = new Option<bool>("--json") { Description = "One JSON object per line: {\"text\", \"label\", \"probabilities\"}." };
        var input = new Option<string?>("--input") { Description = "A file with one text per line ('-' for standard input)." };
        var texts = new Argument<string[]>("text") { Description = "Texts to classify.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("predict", "Classify texts with a trained specialist.") { name, json, input, texts };
        command.SetAction(parse =>
        {
            var all = TextInputs.Read(parse.GetValue(texts), parse.GetValue(input));
            var at = Store.VersionSpec.Parse(parse.GetRequiredValue(name));
            using var model = SpecialistModel.Load(context.Home, at.Name, at.Rev);
            foreach (var p in model.Predict(all))
            {
                var ci = CultureInfo.InvariantCulture;
                if (parse.GetValue(json))
                    context.Out.WriteLine(p.Value is { } v ? JsonSerializer.Serialize(new { text = p.Text, value = v })
                        : p.Labels is { } chosen ? JsonSerializer.Serialize(new { text = p.Text, labels = chosen, probabilities = p.Probabilities })
                        : JsonSerializer.Serialize(new { text = p.Text, label = p.Label, probabilities = p.Probabilities }));
                else if (p.Value is { } value)
                    context.Out.WriteLine(string.Create(ci, $"{value:G6}\t{p.Text}"));
                else if (p.Labels is { } labels)
                    context.Out.WriteLine(string.Create(ci, $"{(labels.Count == 0 ? "(none)" : string.Join(",", labels.Select(l => string.Create(ci, $"{l}:{p.Probabilities[l]:F2}"))))}\t{p.Text}"));
                else
                    context.Out.WriteLine(string.Create(ci, $"{p.Label}\t{p.Probabilities[p.Label]:F3}\t{p.Text}"));
            }
            return 0;
        });
        return command;
    }
}
