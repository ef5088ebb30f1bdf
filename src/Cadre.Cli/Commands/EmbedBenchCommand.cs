using System.CommandLine;
using Cadre.Benchmarks;
using Cadre.Models.Import;
using Cadre.Models.UseLite;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary><c>cadre bench embed --base use-lite</c>: our encoder against the Node.js reference, same sentences, same run.</summary>
internal static class EmbedBenchCommand
{
    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "A USE-lite base.", DefaultValueFactory = _ => "use-lite" };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per measurement.", DefaultValueFactory = _ => 5 };
        var reference = new Option<string?>("--reference") { Description = "The reference folder (default: tools/reference/use-lite above the working folder)." };
        var noReference = new Option<bool>("--no-reference") { Description = "Skip the Node.js reference." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("embed", "Sentences per second at batch 1 and 64, ours vs the Node.js reference.") { baseName, seconds, reference, noReference, results };
        command.SetAction(parse =>
        {
            var secs = parse.GetValue(seconds);
            using var encoder = BaseModels.LoadEncoder(new BaseCatalog(context.Home), parse.GetRequiredValue(baseName));
            if (encoder is not UseLiteModel model)
                throw new CadreException("bench embed compares against the USE-lite reference; give a use_lite base");
            var folder = parse.GetValue(reference) ?? NodeReference.Find();
            var sentences = folder is not null && File.Exists(Path.Combine(folder, "sentences.txt"))
                ? File.ReadAllLines(Path.Combine(folder, "sentences.txt")).Where(l => l.Length > 0).ToList()
                : throw new CadreException("sentences.txt not found: run from the repository or give --reference tools/reference/use-lite");
            int[] batches = [1, 64];
            var ceiling = MatmulCeiling.Ceiling(MatmulCeiling.Measure(secondsPerSize: 1));
            var rows = new List<EmbedBenchmark.Row>();
            foreach (var b in batches)
            {
                context.Error.WriteLine($"cadre, batch {b} ...");
                rows.Add(new("Cadre (TorchSharp, CPU)", b, EmbedBenchmark.Throughput(model, sentences, b, secs), null));
            }
            string? note = null;
            if (parse.GetValue(noReference) || folder is null)
                note = "The Node.js reference was not run (--no-reference or no tools/reference/use-lite).";
            else
            {
                try
                {
                    context.Error.WriteLine("reference ...");
                    var (backend, rates) = NodeReference.Measure(folder, sentences, batches, secs);
                    rows.AddRange(rates.Select(r => new EmbedBenchmark.Row($"reference (@energetic-ai/embeddings, TF.js {backend})", r.Batch, r.Sentences / r.Seconds, null)));
                }
                catch (CadreException e)
                {
                    note = $"The Node.js reference could not run: {e.Message}";
                }
            }
            var line = "cadre bench embed --base " + parse.GetRequiredValue(baseName) + (parse.GetValue(results) is { } r ? $" --results {r}" : "");
            var md = EmbedBenchmark.Markdown(rows, EmbedBenchmark.Parameters(model), EmbedBenchmark.MeanFlops(model, sentences),
                EmbedBenchmark.MeanTokens(model, sentences), sentences.Count, ceiling, line, note);
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, "embed", md);
            return 0;
        });
        return command;
    }
}
