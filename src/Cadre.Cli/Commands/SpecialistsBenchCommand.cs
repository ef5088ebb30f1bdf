using System.CommandLine;
using Cadre.Benchmarks;
using Cadre.Specs;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre bench specialists SPEC [--only TEXT] [--table-only] [--results FILE]</c>.</summary>
internal static class SpecialistsBenchCommand
{
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("spec") { Description = "A spec of tasks × methods, such as bench/specialists/cadre.yaml." };
        var only = new Option<string?>("--only") { Description = "Train only specialists whose name contains this text." };
        var tableOnly = new Option<bool>("--table-only") { Description = "Train nothing; tabulate the stored specialists." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("specialists", "Train every specialist of a spec and tabulate accuracy, size and speed.") { spec, only, tableOnly, results };
        command.SetAction((parse, cancel) =>
        {
            var file = SpecFile.Load(parse.GetRequiredValue(spec));
            var filter = parse.GetValue(only);
            if (!parse.GetValue(tableOnly))
                SpecialistsBenchmark.Train(context.Home, file, s => filter is null || s.Name.Contains(filter, StringComparison.Ordinal),
                                           line => context.Out.WriteLine(line), cancel);
            var md = SpecialistsBenchmark.Table(context.Home, file, $"cadre bench specialists {parse.GetRequiredValue(spec)}");
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, "specialists", md);
            return Task.FromResult(0);
        });
        return command;
    }
}
