using System.CommandLine;
using Cadre.Benchmarks;
using Cadre.Specs;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre bench merge SPEC [--rank R] [--results FILE]</c>: every merge method on the spec's specialists.</summary>
internal static class MergeBenchCommand
{
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("spec") { Description = "A spec of the specialists to merge, such as bench/merge/cadre.yaml." };
        var rank = new Option<int?>("--rank") { Description = "LoRA rank of the merged specialists (default: the largest input rank)." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("merge", "Train a spec's specialists, merge them with every method and tabulate each task's accuracy.") { spec, rank, results };
        command.SetAction((parse, cancel) =>
        {
            var file = SpecFile.Load(parse.GetRequiredValue(spec));
            var r = parse.GetValue(rank);
            var (inputs, rows) = MergeBenchmark.Run(context.Home, file, MergeBenchmark.Default(), r, line => context.Out.WriteLine(line), cancel);
            var line = $"cadre bench merge {parse.GetRequiredValue(spec)}" + (r is { } k ? $" --rank {k}" : "");
            var md = MergeBenchmark.Table(inputs, rows, line);
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, r is null ? "merge" : $"merge-rank-{r}", md);
            return Task.FromResult(0);
        });
        return command;
    }
}
