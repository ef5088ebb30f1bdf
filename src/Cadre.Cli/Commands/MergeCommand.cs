using System.CommandLine;
using System.Globalization;
using Cadre.Composition;
using Cadre.Merge;
using Cadre.Specialists;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre merge --method NAME --inputs a,b [--weights 1,1] [--density D] [--lambda L] ... -o NAME</c>, or
/// <c>cadre merge merge.yaml</c>: merges stored specialists into one that answers every input's task.
/// </summary>
internal static class MergeCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string?>("file") { Description = "A merge file (YAML: name, method, inputs, parameters, rank); or use the options.", Arity = ArgumentArity.ZeroOrOne };
        var method = new Option<string?>("--method") { Description = "The merge method: " + string.Join(", ", MergeMethods.All.Select(m => $"{m.Name} ({m.Summary})")) + "." };
        var inputs = new Option<string?>("--inputs") { Description = "Comma-separated specialists to merge." };
        var weights = new Option<string?>("--weights") { Description = "Comma-separated weights, one per input (default 1 each)." };
        var output = new Option<string?>("--output", "-o") { Description = "The merged specialist's name." };
        var density = new Option<double?>("--density") { Description = "ties, dare_*: share of each task vector kept (ties default 0.2, dare 0.5)." };
        var lambda = new Option<double?>("--lambda") { Description = "Scale of the merged task vector (default 1)." };
        var normalize = new Option<bool?>("--normalize") { Description = "Divide by the summed weights (ties: default true; others false)." };
        var rescale = new Option<bool?>("--rescale") { Description = "dare_*: divide kept entries by the density (default true)." };
        var consensus = new Option<string?>("--consensus") { Description = "ties, dare_ties: sign election by 'sum' (default) or 'count'." };
        var seed = new Option<long?>("--seed") { Description = "dare_*: seed of the drops; fisher: of the example sample (default 1)." };
        var epsilon = new Option<double?>("--epsilon") { Description = "fisher: floor under the normalized Fisher (default 1e-6)." };
        var fisherExamples = new Option<int?>("--fisher-examples") { Description = "fisher: training examples per input (default 512)." };
        var fisherLabels = new Option<string?>("--fisher-labels") { Description = "fisher: 'expected' (default), 'sampled' or 'gold'." };
        var rank = new Option<int?>("--rank") { Description = "LoRA rank of the result (default: the largest input rank)." };
        var intoBase = new Option<bool>("--into-base") { Description = "Write the merged weights into a copy of the base (a full specialist) instead of a LoRA." };
        var noEval = new Option<bool>("--no-eval") { Description = "Do not evaluate the tasks on their recorded splits after merging." };
        var command = new Command("merge", "Merge specialists into one that keeps every input's task head.")
        {
            file, method, inputs, weights, output, density, lambda, normalize, rescale, consensus, seed, epsilon, fisherExamples, fisherLabels, rank, intoBase, noEval,
        };
        command.SetAction((parse, cancel) =>
        {
            MergeRequest request;
            if (parse.GetValue(file) is { } path)
            {
                if (parse.GetValue(method) is not null || parse.GetValue(inputs) is not null || parse.GetValue(output) is not null)
                    throw new CadreException($"give the merge either as a file ({path}) or with --method, --inputs and -o, not both");
                request = MergeFile.Load(path);
                if (parse.GetValue(noEval)) request = request with { Evaluate = false };
            }
            else
            {
                var missing = new[] { ("--method", parse.GetValue(method)), ("--inputs", parse.GetValue(inputs)), ("-o", parse.GetValue(output)) }
                    .Where(p => p.Item2 is null).Select(p => p.Item1).ToList();
                if (missing.Count > 0)
                    throw new CadreException($"missing {string.Join(", ", missing)} (or give a merge file: cadre merge merge.yaml)");
                var names = Split(parse.GetValue(inputs)!);
                var w = parse.GetValue(weights) is { } text ? Split(text).Select(Number).ToList() : names.Select(_ => 1.0).ToList();
                if (w.Count != names.Count)
                    throw new CadreException($"--weights has {w.Count} values for {names.Count} inputs");
                request = new MergeRequest
                {
                    Name = parse.GetValue(output)!, Method = parse.GetValue(method)!,
                    Inputs = names.Select((n, i) => new MergeRequestInput(n, w[i])).ToList(),
                    Parameters = new MergeSettings
                    {
                        Density = parse.GetValue(density), Lambda = parse.GetValue(lambda), Normalize = parse.GetValue(normalize),
                        Rescale = parse.GetValue(rescale), Consensus = parse.GetValue(consensus), Seed = parse.GetValue(seed),
                        Epsilon = parse.GetValue(epsilon), FisherExamples = parse.GetValue(fisherExamples), FisherLabels = parse.GetValue(fisherLabels),
                    },
                    Rank = parse.GetValue(rank), IntoBase = parse.GetValue(intoBase), Evaluate = !parse.GetValue(noEval),
                };
            }
            var outcome = SpecialistMerger.Merge(context.Home, request, line => context.Out.WriteLine(line), cancel);
            foreach (var note in outcome.Notes)
                context.Out.WriteLine($"note: {note}");
            Report(context, outcome.Record);
            return Task.FromResult(0);
        });
        return command.WithExamples(
            "cadre merge --method ties --inputs a,b --density 0.5 -o ab",
            "cadre merge merge.yaml");
    }

    /// <summary>Each task's headline metric, the input's own against the merged specialist's, on the same split.</summary>
    private static void Report(CliContext context, SpecialistRecord record)
    {
        var ci = CultureInfo.InvariantCulture;
        var lineage = record.Merge!;
        foreach (var task in record.TaskList)
        {
            var source = lineage.Inputs.Select(i => i.Tasks.GetValueOrDefault(task.Name)).FirstOrDefault(m => m is not null);
            var split = task.Metrics.ContainsKey("test") ? "test" : "validation";
            if (!task.Metrics.TryGetValue(split, out var merged))
            {
                context.Out.WriteLine($"{task.Name}: not evaluated");
                continue;
            }
            var (name, value) = MetricText.Headline(merged);
            var before = source?.GetValueOrDefault(split) is { } m ? MetricText.Headline(m).Value : double.NaN;
            context.Out.WriteLine(string.Create(ci, $"{task.Name}: {split} {name} {value:F4} merged, {before:F4} alone ({value - before:+0.0000;-0.0000})"));
        }
        context.Out.WriteLine($"stored merged specialist '{record.Name}' ({record.Method}, {Plural.Of(record.TaskList.Count, "task")}); try: cadre predict {record.Name} \"some text\"");
    }

    private static List<string> Split(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    private static double Number(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
        : throw new CadreException($"--weights: '{text}' is not a number");
}
