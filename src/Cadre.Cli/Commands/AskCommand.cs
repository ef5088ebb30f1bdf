using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Routing;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre ask [--router NAME] [--json] [--force] [TEXT...] [--input FILE]</c>: route each text, then predict with
/// the chosen specialist (each specialist once, for all of its texts); abstentions get no prediction.
/// </summary>
internal static class AskCommand
{
    public static Command Create(CliContext context)
    {
        var router = RouteCommand.RouterOption();
        var json = new Option<bool>("--json") { Description = "One JSON object per text: {\"text\", \"specialist\", \"abstained\", \"label\" (or \"labels\", \"value\"), \"probabilities\", \"route\"}." };
        var force = new Option<bool>("--force") { Description = "Answer with the top-scoring specialist even where the router abstains." };
        var input = new Option<string?>("--input") { Description = "A file with one text per line ('-' for standard input)." };
        var texts = new Argument<string[]>("text") { Description = "Texts to answer.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("ask", "Route each text to a specialist and predict with it, in one step.") { router, json, force, input, texts };
        command.SetAction(parse =>
        {
            var all = TextInputs.Read(parse.GetValue(texts), parse.GetValue(input));
            using var loaded = RouteCommand.Load(context, parse.GetRequiredValue(router));
            var ci = CultureInfo.InvariantCulture;
            foreach (var a in RoutedPrediction.Ask(context.Home, loaded, all, parse.GetValue(force)))
            {
                var (d, p) = (a.Route, a.Prediction);
                if (parse.GetValue(json))
                    context.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        text = d.Text, specialist = d.Specialist, abstained = p is null, label = p?.Value is null ? p?.Label : null,
                        labels = p?.Labels, value = p?.Value, probabilities = p?.Probabilities, route = RouteCommand.JsonFields(d),
                    }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
                else if (p is null)
                    context.Out.WriteLine(string.Create(ci, $"(abstain)\tnearest {d.Best}, signal {d.Signal:F3} < {d.Threshold:F3}\t{d.Text}"));
                else if (p.Value is { } value)
                    context.Out.WriteLine(string.Create(ci, $"{d.Specialist}\t{value:G6}\t{d.Text}"));
                else
                    context.Out.WriteLine(string.Create(ci, $"{d.Specialist}\t{(p.Label.Length == 0 ? "(none)" : p.Label)}\t{(p.Probabilities.TryGetValue(p.Label, out var pr) ? pr.ToString("F3", ci) : "")}\t{d.Text}"));
            }
            return 0;
        });
        return command.WithExamples(
            "cadre ask \"some text\"",
            "cadre ask --json --input FILE");
    }
}
