using System.CommandLine;
using System.Globalization;
using System.Text;
using Cadre.Benchmarks;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre bench ...</c>: benchmarks whose tables go to docs/RESULTS.md with the command that made them.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var bench = new Command("bench", "Run a benchmark and print (or write) its results table.");
        bench.Add(Matmul(context));
        bench.Add(EmbedBenchCommand.Create(context));
        bench.Add(SpecialistsBenchCommand.Create(context));
        bench.Add(TrainBenchCommand.Create(context));
        bench.Add(StoreBenchCommand.Create(context));
        foreach (var c in DataBenchCommand.Create(context))
            bench.Add(c);
        bench.Add(MergeBenchCommand.Create(context));
        bench.Add(ServeBenchCommand.Create(context));
        bench.Add(ServeBenchCommand.CreateRun(context));
        bench.Add(ServeExternalBenchCommand.Create(context));
        bench.Add(BenchLoadCommand.Create(context));
        return bench;
    }

    public static Option<string?> ResultsOption() =>
        new("--results") { Description = "Also write the table into this markdown file (e.g. docs/RESULTS.md), replacing the benchmark's own section." };

    private static Command Matmul(CliContext context)
    {
        var seconds = new Option<double>("--seconds") { Description = "Seconds per size.", DefaultValueFactory = _ => 1.0 };
        var results = ResultsOption();
        var command = new Command("matmul", "Measure the float32 matmul rate through TorchSharp (the FLOP ceiling).") { seconds, results };
        command.SetAction(parse =>
        {
            var rates = MatmulCeiling.Measure(secondsPerSize: parse.GetValue(seconds));
            var md = Table(rates, "cadre bench matmul" + (parse.GetValue(results) is { } r ? $" --results {r}" : ""));
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, "matmul", md);
            return 0;
        });
        return command;
    }

    public static string Table(IReadOnlyList<MatmulRate> rates, string commandLine)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Matmul ceiling (float32, TorchSharp)").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine("| n (n×n · n×n) | products | seconds | GFLOP/s |").AppendLine("|---:|---:|---:|---:|");
        foreach (var r in rates)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Size} | {r.Iterations} | {r.Seconds:F2} | {r.GigaFlopsPerSecond:F1} |"));
        sb.AppendLine().AppendLine(string.Create(CultureInfo.InvariantCulture, $"Ceiling: **{MatmulCeiling.Ceiling(rates):F1} GFLOP/s**."));
        return sb.ToString();
    }
}
