using System.CommandLine;
using Cadre.Benchmarks;
using Cadre.Models.Import;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre bench train [--base use-lite] [--length 64] [--batch 32] [--seconds 10]</c>.</summary>
internal static class TrainBenchCommand
{
    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "A sentence-encoder base.", DefaultValueFactory = _ => "use-lite" };
        var length = new Option<int>("--length") { Description = "Tokens per text.", DefaultValueFactory = _ => 64 };
        var batch = new Option<int>("--batch") { Description = "Texts per step.", DefaultValueFactory = _ => 32 };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per method.", DefaultValueFactory = _ => 10 };
        var methods = new Option<string[]>("--methods") { Description = "Methods to measure.", DefaultValueFactory = _ => ["head", "lora", "ia3", "prompt", "full"], AllowMultipleArgumentsPerToken = true };
        var results = BenchCommand.ResultsOption();
        var command = new Command("train", "Training examples per second per method, and the FLOP rate against the matmul ceiling.") { baseName, length, batch, seconds, methods, results };
        command.SetAction(parse =>
        {
            var name = parse.GetRequiredValue(baseName);
            var (len, b, secs) = (parse.GetValue(length), parse.GetValue(batch), parse.GetValue(seconds));
            if (len < 1 || b < 1 || secs <= 0)
                throw new CadreException("--length, --batch and --seconds must be positive");
            var ceiling = MatmulCeiling.Ceiling(MatmulCeiling.Measure(secondsPerSize: 1));
            var rates = new List<TrainRate>();
            foreach (var method in parse.GetRequiredValue(methods))
            {
                // A fresh base per method: full fine-tuning changes the weights it trains.
                using var encoder = BaseModels.LoadEncoder(new BaseCatalog(context.Home), name);
                context.Error.WriteLine($"{method} ...");
                rates.Add(TrainBenchmark.Measure(encoder, method, len, b, secs, name));
            }
            var line = $"cadre bench train --base {name} --length {len} --batch {b} --seconds {secs}" + (parse.GetValue(results) is { } r ? $" --results {r}" : "");
            var md = TrainBenchmark.Markdown(rates, name, len, b, ceiling, line);
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, "train", md);
            return 0;
        });
        return command;
    }
}
