using System.CommandLine;
using Cadre.Data.Quality;
using Cadre.Training;
using Cadre.Specs;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre data check|curate|undo</c>: find the rows that hurt a specialist (duplicates, conflicting labels,
/// leakage, label issues by confident learning, outliers, class imbalance), write a cleaned copy with an audit of
/// every change, and rebuild the original from that copy. Findings are not errors: check exits 0 unless
/// <c>--fail-on</c> names a kind that was found (exit 3).
/// </summary>
internal static class DataCommand
{
    /// <summary>Exit code of <c>data check --fail-on</c> when a named kind was found.</summary>
    public const int FindingsFound = 3;

    public static Command Create(CliContext context)
    {
        var data = new Command("data", "Check a data set for the rows that hurt a specialist, and curate it.");
        data.Add(Check(context));
        data.Add(Curate(context));
        data.Add(Undo(context));
        return data;
    }

    private static Command Check(CliContext context)
    {
        var inputs = new DataInputs();
        var json = new Option<bool>("--json") { Description = "Print one JSON object with every finding (docs/formats.md)." };
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML report to this file." };
        var top = new Option<int>("--top") { Description = "Findings of each kind shown in the text summary.", DefaultValueFactory = _ => 10 };
        var failOn = new Option<string[]>("--fail-on") { Description = $"Exit {FindingsFound} when any of these kinds is found: {string.Join(", ", QualityReport.Kinds)}.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("check", "Report duplicates, conflicting labels, leakage, label issues, outliers and class imbalance.") { json, html, top, failOn };
        inputs.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            var fail = (parse.GetValue(failOn) ?? []).SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (fail.FirstOrDefault(f => !QualityReport.Kinds.Contains(f)) is { } bad)
                throw new CadreException($"--fail-on: '{bad}' is not one of {string.Join(", ", QualityReport.Kinds)}{Suggest.DidYouMean(bad, QualityReport.Kinds)}");
            var asJson = parse.GetValue(json);
            var report = Run(context, inputs, parse, asJson, cancel);
            if (parse.GetValue(html) is { } path)
            {
                File.WriteAllText(path, QualityHtml.Write(report));
                context.Error.WriteLine($"wrote {path}");
            }
            context.Out.Write(asJson ? QualityJson.Write(report) + "\n" : QualityText.Render(report, parse.GetValue(top)));
            if (report.Errors.Count > 0) // the same refusal cadre train gives, after the report
                throw new CadreException(string.Join("; ", report.Errors));
            var counts = report.Counts();
            return Task.FromResult(fail.Any(f => counts[f] > 0) ? FindingsFound : 0);
        });
        return command.WithExamples(
            "cadre data check cadre.yaml --only NAME --html report.html",
            "cadre data check FILE --text TEXT_COL --label LABEL_COL --skip-invalid --json");
    }

    private static Command Curate(CliContext context)
    {
        var inputs = new DataInputs();
        var output = new Option<string>("-o", "--output") { Description = "Folder for the cleaned file, audit.jsonl and curation.json (and cadre.yaml for a spec).", Required = true };
        var remove = new Option<string[]>("--remove")
        {
            Description = $"Finding kinds whose rows are removed: {string.Join(", ", CurateOptions.Kinds)}.",
            DefaultValueFactory = _ => ["duplicates", "leaks", "label_issues"], AllowMultipleArgumentsPerToken = true,
        };
        var relabel = new Option<bool>("--relabel") { Description = "Give label issues the suggested label instead of removing them." };
        var command = new Command("curate", "Write a cleaned copy of the training data and an audit log of every row removed or relabelled.") { output, remove, relabel };
        inputs.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            var options = new CurateOptions
            {
                Remove = (parse.GetValue(remove) ?? []).SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(),
                Relabel = parse.GetValue(relabel),
            };
            if (options.Validate() is { Count: > 0 } errors)
                throw new CadreException(string.Join("; ", errors));
            var folder = Path.GetFullPath(parse.GetRequiredValue(output));
            var (train, _, spec, entry, _) = inputs.Resolve(parse, null);
            if (File.Exists(folder))
                throw new CadreException($"{folder}: is a file; -o takes a folder");
            var report = Run(context, inputs, parse, quiet: false, cancel);
            var result = CurationWriter.Write(report, train, options, folder);
            context.Out.WriteLine($"{Plural.Of(result.Removed, "row")} removed, {result.Relabelled} relabelled, {result.Rows} kept of {report.Train.Count}");
            context.Out.WriteLine($"wrote {result.CleanedFile}");
            context.Out.WriteLine($"wrote {result.AuditFile} (every change, with the row as it was)");
            if (spec is not null && entry is not null)
            {
                var specOut = Path.Combine(folder, "cadre.yaml");
                File.WriteAllText(specOut, SpecRewriter.WithTrain(spec.Path, entry.Name, result.CleanedFile));
                context.Out.WriteLine($"wrote {specOut}; train on the cleaned data with: cadre train {specOut}");
            }
            context.Out.WriteLine($"undo: cadre data undo {folder} -o FILE rebuilds the original");
            return Task.FromResult(0);
        });
        return command.WithExamples(
            "cadre data curate cadre.yaml --only NAME -o curated/ --relabel");
    }

    private static Command Undo(CliContext context)
    {
        var folder = new Argument<string>("folder") { Description = "A folder written by cadre data curate." };
        var output = new Option<string>("-o", "--output") { Description = "Where to write the rebuilt original (a new file).", Required = true };
        var command = new Command("undo", "Rebuild the original training file from a curated folder and its audit log.") { folder, output };
        command.SetAction(parse =>
        {
            var target = Path.GetFullPath(parse.GetRequiredValue(output));
            if (File.Exists(target))
                throw new CadreException($"{target}: exists; undo writes a new file and never overwrites one");
            var bytes = CurationWriter.Undo(parse.GetRequiredValue(folder));
            File.WriteAllBytes(target, bytes);
            context.Out.WriteLine($"wrote {target} ({bytes.Length:N0} bytes, identical to the source by SHA-256)");
            return 0;
        });
        return command;
    }

    private static QualityReport Run(CliContext context, DataInputs inputs, ParseResult parse, bool quiet, CancellationToken cancel)
    {
        var progress = ProgressReporter.For(context);
        var (train, evaluation, _, entry, options) = inputs.Resolve(parse, line => { if (!quiet) { progress.Clear(); context.Error.WriteLine(line); } });
        // The flag turns skipping on for a file; with a spec it overrides the spec's data.skip_invalid.
        var skip = parse.GetValue(inputs.SkipInvalid) || entry?.Data.SkipInvalid == true;
        return QualityCheck.Run(context.Home, train, evaluation, options with { Progress = progress }, skip, cancel);
    }
}
