using System.CommandLine;
using Cadre.Benchmarks;
using Cadre.Suites;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre suite run SUITE.yaml [--retrain] [--results FILE]</c>: the routing suite of docs/RESULTS.md.</summary>
internal static class SuiteCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("suite", "Evaluate an ecosystem of specialists over a set of tasks.");
        var file = new Argument<string>("suite") { Description = "A suite file, such as bench/suite/default.yaml." };
        var retrain = new Option<bool>("--retrain") { Description = "Train every specialist again even when a stored one matches its spec." };
        var results = BenchCommand.ResultsOption();
        var run = new Command("run", "Train or reuse one specialist per task, build routers, and report oracle, routed, multitask and merge accuracy, abstention, parameters and latency.")
            { file, retrain, results };
        run.SetAction((parse, cancel) =>
        {
            var path = parse.GetRequiredValue(file);
            var suite = SuiteFile.Load(path);
            var result = new SuiteRunner(context.Home, line => context.Error.WriteLine(line)).Run(suite, parse.GetValue(retrain), cancel);
            var md = SuiteReport.Markdown(result, $"cadre suite run {path}" + (parse.GetValue(results) is { } r ? $" --results {r}" : ""));
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } target)
                ResultsFile.ReplaceSection(target, "suite:" + result.Suite, md);
            return Task.FromResult(0);
        });
        command.Add(run);
        return command;
    }
}
