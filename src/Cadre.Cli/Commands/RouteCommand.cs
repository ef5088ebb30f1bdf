using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Data;
using Cadre.Routing;
using Cadre.Routing.TaskEmbeddings;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre route [--router NAME] [--json] [TEXT...] [--input FILE]</c>: the chosen specialist and every
/// specialist's calibrated probability per text, or an abstention; <c>cadre route rank --data FILE</c>: existing
/// specialists ranked by expected transfer to a new task from a few labelled examples.
/// </summary>
internal static class RouteCommand
{
    public static Command Create(CliContext context)
    {
        var router = RouterOption();
        var json = new Option<bool>("--json") { Description = "One JSON object per text: {\"text\", \"specialist\" (null when abstaining), \"abstained\", \"best\", \"confidence\", \"signal\", \"threshold\", \"scores\"}." };
        var input = new Option<string?>("--input") { Description = "A file with one text per line ('-' for standard input)." };
        var texts = new Argument<string[]>("text") { Description = "Texts to route.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("route", "Choose the specialist for each text (or abstain), with every specialist's score.") { router, json, input, texts };
        command.SetAction(parse =>
        {
            var all = TextInputs.Read(parse.GetValue(texts), parse.GetValue(input));
            using var loaded = Load(context, parse.GetRequiredValue(router));
            foreach (var d in loaded.Route(all))
                context.Out.WriteLine(parse.GetValue(json) ? Json(d) : Line(d));
            return 0;
        });
        command.Add(Rank(context));
        return command.WithExamples(
            "cadre route \"some text\" \"more text\"",
            "cadre route --json --input FILE");
    }

    public static Option<string> RouterOption() =>
        new("--router") { Description = "The router (cadre router list).", DefaultValueFactory = _ => RouterRecord.DefaultName };

    /// <summary>Loads the router and warns (stderr) when specialists changed since it was built.</summary>
    public static SpecialistRouter Load(CliContext context, string name)
    {
        var router = SpecialistRouter.Load(context.Home, name);
        if (router.Stale() is { Count: > 0 } stale)
            context.Error.WriteLine($"warning: router '{name}' was built before {string.Join(", ", stale)} changed or went away; rebuild it (cadre router build --name {name} --force)");
        return router;
    }

    public static object JsonFields(RouteDecision d) => new
    {
        text = d.Text, specialist = d.Specialist, abstained = d.Abstained, best = d.Best, confidence = Round(d.Confidence),
        signal = Round(d.Signal), threshold = double.IsFinite(d.Threshold) ? Round(d.Threshold) : (double?)null, scores = d.Scores.ToDictionary(p => p.Key, p => Round(p.Value)),
    };

    private static string Json(RouteDecision d) => JsonSerializer.Serialize(JsonFields(d));

    private static double Round(double v) => Math.Round(v, 6);

    /// <summary>One line per text: the choice (or <c>(abstain)</c>), its probability, every specialist's score best first, the text.</summary>
    private static string Line(RouteDecision d)
    {
        var ci = CultureInfo.InvariantCulture;
        var scores = string.Join(' ', d.Scores.OrderByDescending(p => p.Value).Select(p => string.Create(ci, $"{p.Key}:{p.Value:F3}")));
        return d.Abstained
            ? string.Create(ci, $"(abstain)\t{d.Confidence:F3}\tsignal {d.Signal:F3} < {d.Threshold:F3}; {scores}\t{d.Text}")
            : string.Create(ci, $"{d.Specialist}\t{d.Confidence:F3}\t{scores}\t{d.Text}");
    }

    private static Command Rank(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "A labelled file with a few examples of the new task.", Required = true };
        var text = new Option<string>("--text") { Description = "Text column (name or 0-based index).", DefaultValueFactory = _ => "text" };
        var label = new Option<string>("--label") { Description = "Label column (name or 0-based index).", DefaultValueFactory = _ => "label" };
        var specialists = new Option<string?>("--specialists") { Description = "Comma-separated specialists to rank (default: every trained one)." };
        var json = new Option<bool>("--json") { Description = "One JSON object per specialist, best first." };
        var command = new Command("rank", "Rank existing specialists by expected transfer to a new task (Task2Vec Fisher embeddings and data similarity).")
            { data, text, label, specialists, json };
        command.SetAction(parse =>
        {
            var source = new TableSource
            {
                Path = Path.GetFullPath(parse.GetRequiredValue(data)),
                Text = ColumnRef.Parse(parse.GetRequiredValue(text)), Label = ColumnRef.Parse(parse.GetRequiredValue(label)),
            };
            var chosen = parse.GetValue(specialists)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var ranking = TransferRanking.Rank(context.Home, DatasetReader.Read(source), chosen);
            var ci = CultureInfo.InvariantCulture;
            if (!parse.GetValue(json))
                context.Out.WriteLine($"{"rank",4}  {"specialist",-24} {"task2vec",9} {"(rank)",6} {"data mmd",9} {"(rank)",6}");
            foreach (var c in ranking)
                context.Out.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new { rank = c.Rank, specialist = c.Specialist, task2vec_distance = Math.Round(c.Task2VecDistance, 6), task2vec_rank = c.Task2VecRank, data_mmd = Math.Round(c.DataDistance, 6), data_rank = c.DataRank })
                    : string.Create(ci, $"{c.Rank,4}  {c.Specialist,-24} {c.Task2VecDistance,9:F4} {c.Task2VecRank,6} {c.DataDistance,9:F4} {c.DataRank,6}"));
            return 0;
        });
        return command.WithExamples(
            "cadre route rank --data FEW.tsv");
    }
}
