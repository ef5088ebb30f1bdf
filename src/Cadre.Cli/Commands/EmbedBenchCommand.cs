using System.CommandLine;
using Cadre.Benchmarks;
using Cadre.Models.Import;
using Cadre.Models.UseLite;
using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre bench embed --base use-lite [--input FILE]</c>: our encoder against the Node.js reference, same sentences,
/// same run; on the bundled sentences or the user's own, in file order and sorted by length as <c>cadre embed</c> runs them.
/// </summary>
internal static class EmbedBenchCommand
{
    private const string Cadre = "Cadre (TorchSharp, CPU)";

    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "A USE-lite base.", DefaultValueFactory = _ => "use-lite" };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per measurement.", DefaultValueFactory = _ => 5 };
        var input = new Option<string?>("--input") { Description = "Your sentences, one per line ('-' for standard input), as cadre embed reads them (default: the reference's 232)." };
        var reference = new Option<string?>("--reference") { Description = "The reference folder (default: tools/reference/use-lite above the working folder)." };
        var noReference = new Option<bool>("--no-reference") { Description = "Skip the Node.js reference." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("embed", "Sentences per second at batch 1 and 64 (in file order and sorted by length as cadre embed runs them), ours vs the Node.js reference.")
            { baseName, seconds, input, reference, noReference, results };
        command.SetAction(parse =>
        {
            var secs = parse.GetValue(seconds);
            if (!(secs > 0))
                throw new CadreException("--seconds: must be more than 0");
            var folder = parse.GetValue(reference) ?? NodeReference.Find();
            var (sentences, source) = Sentences(parse.GetValue(input), folder);
            using var encoder = BaseModels.LoadEncoder(new BaseCatalog(context.Home), parse.GetRequiredValue(baseName));
            if (encoder is not UseLiteModel model)
                throw new CadreException("bench embed compares against the USE-lite reference; give a use_lite base");
            var tokens = EmbedBenchmark.Tokens(model, sentences);
            const int wide = 64; // cadre embed's default --batch-size
            var ceiling = MatmulCeiling.Ceiling(MatmulCeiling.Measure(secondsPerSize: Math.Min(1, secs)));
            var rows = new List<EmbedBenchmark.Row>();
            context.Error.WriteLine("cadre, batch 1 ...");
            rows.Add(EmbedBenchmark.Measure(model, sentences, tokens, EmbedBenchmark.InFileOrder(sentences.Count, 1), Cadre, "file order", 1, secs));
            context.Error.WriteLine($"cadre, batch {wide} in file order ...");
            rows.Add(EmbedBenchmark.Measure(model, sentences, tokens, EmbedBenchmark.InFileOrder(sentences.Count, wide), Cadre, "file order", wide, secs));
            context.Error.WriteLine($"cadre, batch {wide} sorted by length ...");
            rows.Add(EmbedBenchmark.Measure(model, sentences, tokens, UseLiteModel.Batches(sentences, wide), Cadre, "by length (cadre embed)", wide, secs));
            string? note = null;
            if (parse.GetValue(noReference) || folder is null)
                note = "The Node.js reference was not run (--no-reference or no tools/reference/use-lite).";
            else
            {
                try
                {
                    context.Error.WriteLine("reference ...");
                    var (backend, rates) = NodeReference.Measure(folder, sentences, [1, wide], secs);
                    rows.AddRange(rates.Select(r => new EmbedBenchmark.Row($"reference (@energetic-ai/embeddings, TF.js {backend})", "file order", r.Batch, r.Sentences / r.Seconds)));
                }
                catch (CadreException e)
                {
                    note = $"The Node.js reference could not run: {e.Message}";
                }
            }
            var line = "cadre bench embed --base " + parse.GetRequiredValue(baseName)
                + (parse.GetValue(input) is { } f ? $" --input {f}" : "")
                + (parse.GetValue(results) is { } r ? $" --results {r}" : "");
            var md = EmbedBenchmark.Markdown(rows, EmbedBenchmark.Parameters(model), EmbedBenchmark.MeanFlops(model.Config, tokens),
                EmbedBenchmark.MeanTokens(tokens), sentences.Count, source, ceiling, line, note);
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, "embed", md);
            return 0;
        });
        return command;
    }

    /// <summary>The user's sentences (read as cadre embed reads them), else the reference's own.</summary>
    private static (IReadOnlyList<string> Sentences, string Source) Sentences(string? input, string? folder)
    {
        if (input is not null)
            return (TextInputs.Read(null, input), input == "-" ? "standard input" : Path.GetFileName(input));
        var file = folder is null ? null : Path.Combine(folder, "sentences.txt");
        if (file is null || !File.Exists(file))
            throw new CadreException("sentences.txt not found: give --input FILE, run from the repository, or give --reference tools/reference/use-lite");
        return (File.ReadAllLines(file).Where(l => l.Length > 0).ToList(), "tools/reference/use-lite/sentences.txt");
    }
}
