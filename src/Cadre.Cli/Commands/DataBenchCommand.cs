using System.CommandLine;
using System.Globalization;
using Cadre.Benchmarks;
using Cadre.Data;
using Cadre.Specs;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre bench data [--rows 100000] [--data FILE --text COL --label COL] [--test FILE]</c> (the stages of a large
/// check) and <c>cadre bench label-noise SPEC [--rates 0.1 0.2]</c> (label-issue precision and recall, and what
/// curation buys, on data with labels flipped on purpose).
/// </summary>
internal static class DataBenchCommand
{
    public static IEnumerable<Command> Create(CliContext context) => [Data(context), LabelNoise(context)];

    private static Command Data(CliContext context)
    {
        var rows = new Option<int>("--rows") { Description = "Rows to check.", DefaultValueFactory = _ => 100_000 };
        var data = new Option<string?>("--data") { Description = "A labelled file to grow to --rows (default: synthetic topic sentences)." };
        var text = new Option<string>("--text") { Description = "Text column of --data.", DefaultValueFactory = _ => "text" };
        var label = new Option<string>("--label") { Description = "Label column of --data.", DefaultValueFactory = _ => "label" };
        var test = new Option<string?>("--test") { Description = "An evaluation file (same columns) for the leakage search." };
        var baseName = new Option<string>("--base") { Description = "The base that embeds the rows.", DefaultValueFactory = _ => "use-lite" };
        var seed = new Option<int>("--seed") { Description = "Seed of the copies, edits and flips.", DefaultValueFactory = _ => 1 };
        var results = BenchCommand.ResultsOption();
        var command = new Command("data", "Time every stage of a data check on a large set (100,000 rows by default).") { rows, data, text, label, test, baseName, seed, results };
        command.SetAction((parse, cancel) =>
        {
            var n = parse.GetValue(rows);
            if (n < 100) throw new CadreException("--rows: at least 100");
            TableSource? Source(string? path) => path is null ? null : new TableSource
            {
                Path = Path.GetFullPath(path), Text = ColumnRef.Parse(parse.GetRequiredValue(text)), Label = ColumnRef.Parse(parse.GetRequiredValue(label)),
            };
            var seedData = Source(parse.GetValue(data)) is { } s ? DatasetReader.Read(s) : null;
            var evaluation = Source(parse.GetValue(test)) is { } t ? new[] { DatasetReader.Read(t) } : [];
            var set = DataBenchmark.Build(seedData, n, parse.GetValue(seed));
            var what = seedData is null ? "synthetic topic sentences" : $"{Path.GetFileName(seedData.File)}'s {Math.Min(n, seedData.Count):N0} rows, then edited copies; 10 % of labels flipped";
            var progress = ProgressReporter.For(context);
            var report = DataBenchmark.Run(context.Home, set, evaluation, parse.GetRequiredValue(baseName), line => { progress.Clear(); context.Error.WriteLine(line); },
                                           cancel, out var seconds, progress);
            var line = $"cadre bench data --rows {n}" + (parse.GetValue(data) is { } d ? $" --data {d} --text {parse.GetValue(text)} --label {parse.GetValue(label)}" : "")
                       + (parse.GetValue(test) is { } te ? $" --test {te}" : "") + (parse.GetValue(results) is { } r ? $" --results {r}" : "");
            var md = DataBenchmark.Markdown(report, what, line, seconds);
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, "data", md);
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command LabelNoise(CliContext context)
    {
        var spec = new Argument<string>("spec") { Description = "A spec whose specialists name train, test (and validation) files, such as bench/data/label-noise.yaml." };
        var rates = new Option<double[]>("--rates") { Description = "Shares of training labels to flip.", DefaultValueFactory = _ => [0.1, 0.2], AllowMultipleArgumentsPerToken = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the flips and the folds.", DefaultValueFactory = _ => 1 };
        var top = new Option<int>("--top") { Description = "Issues of the published data listed per task.", DefaultValueFactory = _ => 20 };
        var only = new Option<string?>("--only") { Description = "Only specialists whose name contains this text." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("label-noise", "Flip labels on purpose, find them with confident learning, and compare specialists trained on noisy, curated and original data.") { spec, rates, seed, top, only, results };
        command.SetAction((parse, cancel) =>
        {
            var file = SpecFile.Load(parse.GetRequiredValue(spec));
            var list = parse.GetRequiredValue(rates);
            if (list.Any(r => r is <= 0 or >= 1)) throw new CadreException("--rates: each in (0, 1)");
            var filter = parse.GetValue(only);
            var done = file.Specialists.Where(s => filter is null || s.Name.Contains(filter, StringComparison.Ordinal))
                .Select(s => LabelNoiseBenchmark.Run(context.Home, s, list, parse.GetValue(seed), l => context.Error.WriteLine(l), cancel)).ToList();
            var line = $"cadre bench label-noise {parse.GetRequiredValue(spec)} --rates {string.Join(' ', list.Select(r => r.ToString(CultureInfo.InvariantCulture)))} --seed {parse.GetValue(seed)}"
                       + (filter is null ? "" : $" --only {filter}") + (parse.GetValue(results) is { } r ? $" --results {r}" : "");
            var md = LabelNoiseBenchmark.Markdown(done, line, parse.GetValue(top));
            context.Out.WriteLine(md);
            if (parse.GetValue(results) is { } path)
                ResultsFile.ReplaceSection(path, "label-noise", md);
            return Task.FromResult(0);
        });
        return command;
    }
}
