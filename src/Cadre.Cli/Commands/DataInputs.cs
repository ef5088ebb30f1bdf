using System.CommandLine;
using System.Globalization;
using Cadre.Adapters;
using Cadre.Data;
using Cadre.Training;
using Cadre.Specs;
using Cadre.Util;

namespace Cadre.Cli.Commands;

/// <summary>The options <c>data check</c> and <c>data curate</c> share: what to read and how to search it.</summary>
internal sealed class DataInputs
{
    public Argument<string> Input { get; } = new("input") { Description = "A cadre.yaml (its specialists' train, validation and test files) or one data file." };
    public Option<string?> Only { get; } = new("--only") { Description = "With a spec: check only this specialist's data." };
    public Option<string> Text { get; } = new("--text") { Description = "With a file: text column (name or 0-based index).", DefaultValueFactory = _ => "text" };
    public Option<string> Label { get; } = new("--label") { Description = "With a file: label column (name or 0-based index).", DefaultValueFactory = _ => "label" };
    public Option<string[]> Test { get; } = new("--test") { Description = "With a file: evaluation files to look for leaks in (same columns).", AllowMultipleArgumentsPerToken = true };
    public Option<string?> Format { get; } = new("--format") { Description = "With a file: csv, tsv, jsonl, json or parquet (default: from the extension)." };
    public Option<string?> Delimiter { get; } = new("--delimiter") { Description = "With a file: the field delimiter (\\t or tab for tabs)." };
    public Option<string> Task { get; } = new("--task") { Description = "With a file: classification, multilabel or regression.", DefaultValueFactory = _ => "classification" };
    public Option<string?> Base { get; } = new("--base") { Description = "The base that embeds the rows (default: the spec's, else use-lite)." };
    public Option<double> NearThreshold { get; } = new("--near-threshold") { Description = "Jaccard similarity of character 5-grams for near duplicates and near leaks.", DefaultValueFactory = _ => 0.8 };
    public Option<int> Folds { get; } = new("--folds") { Description = "Cross-validation folds behind label issues.", DefaultValueFactory = _ => 5 };
    public Option<string> Method { get; } = new("--method") { Description = "Out-of-fold model: head (frozen embeddings, fast) or lora (k adapter trainings, slow).", DefaultValueFactory = _ => "head" };
    public Option<int> Neighbours { get; } = new("--neighbours") { Description = "Nearest neighbours behind the outlier score.", DefaultValueFactory = _ => 10 };
    public Option<bool> NoModel { get; } = new("--no-model") { Description = "Hashing checks only: no embeddings, label issues or outliers." };
    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Embed again instead of using CADRE_HOME/cache/embeddings." };
    public Option<bool> SkipInvalid { get; } = new("--skip-invalid") { Description = "Skip bad rows (and report them) instead of stopping; with a spec, sets its data.skip_invalid." };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the folds and the heads.", DefaultValueFactory = _ => 1 };

    public void AddTo(Command command)
    {
        command.Add(Input);
        foreach (var o in new Option[] { Only, Text, Label, Test, Format, Delimiter, Task, Base, NearThreshold, Folds, Method, Neighbours, NoModel, NoCache, SkipInvalid, Seed })
            command.Add(o);
    }

    /// <summary>The training source, the evaluation sources, the spec entry (null for a file) and the check's options.</summary>
    public (TableSource Train, IReadOnlyList<TableSource> Evaluation, SpecFile? Spec, SpecialistSpec? Entry, QualityCheckOptions Options)
        Resolve(ParseResult parse, Action<string>? log)
    {
        var input = parse.GetRequiredValue(Input);
        var method = parse.GetRequiredValue(Method);
        if (method != "head" && !AdapterSpec.Methods.Contains(method) || method == "full")
            throw new CadreException($"--method: '{method}' is not head or an adapter method (lora, ia3, prompt)");
        if (parse.GetValue(Folds) < 2) throw new CadreException("--folds: must be at least 2");
        if (parse.GetValue(Neighbours) < 1) throw new CadreException("--neighbours: must be at least 1");
        var options = new QualityCheckOptions
        {
            Check = new DataCheckOptions { NearThreshold = parse.GetValue(NearThreshold) },
            UseModel = !parse.GetValue(NoModel), Method = method, Neighbours = parse.GetValue(Neighbours), Cache = !parse.GetValue(NoCache),
            OutOfFold = new OutOfFoldOptions { Folds = parse.GetValue(Folds), Seed = parse.GetValue(Seed) }, Log = log,
        };
        if (options.Check.NearThreshold is <= 0 or > 1)
            throw new CadreException("--near-threshold: must be in (0, 1]");
        var ext = Path.GetExtension(input).ToLowerInvariant();
        if (ext is ".yaml" or ".yml")
        {
            var spec = SpecFile.Load(input);
            var name = parse.GetValue(Only);
            var chosen = spec.Specialists.Where(s => name is null || s.Name == name).ToList();
            if (chosen.Count == 0)
                throw new CadreException($"no specialist '{name}' in {spec.Path}; it declares: {string.Join(", ", spec.Specialists.Select(s => s.Name))}");
            if (chosen.Count > 1 && chosen.Select(s => s.Data.Train).Distinct().Count() > 1)
                throw new CadreException($"{spec.Path} declares {Plural.Of(chosen.Count, "specialist")}; choose one with --only ({string.Join(", ", chosen.Select(s => s.Name))})");
            var s = chosen[0];
            var evaluation = new[] { (s.Data.Validation, "validation"), (s.Data.Test, "test") }.Where(p => p.Item1 is not null)
                .Select(p => SpecFile.Source(s, p.Item1!, p.Item2)).ToList();
            return (SpecFile.Source(s, s.Data.Train, "train"), evaluation, spec, s,
                    options with
                    {
                        Base = parse.GetValue(Base) ?? s.Base, MaxLength = s.Training.MaxLength, Adapter = s.Adapter, Training = s.Training,
                        Name = s.Name, ValidationSplit = s.Data.Validation is null ? s.Data.ValidationSplit : null,
                    });
        }
        var task = parse.GetRequiredValue(Task) switch
        {
            "classification" => TaskKind.Classification, "multilabel" => TaskKind.Multilabel, "regression" => TaskKind.Regression,
            var t => throw new CadreException($"--task: '{t}' is not classification, multilabel or regression"),
        };
        var format = parse.GetValue(Format) switch
        {
            null => (DataFormat?)null, "csv" or "tsv" => DataFormat.Delimited, "jsonl" => DataFormat.Jsonl, "json" => DataFormat.Json,
            "parquet" => DataFormat.Parquet, var f => throw new CadreException($"--format: '{f}' is not csv, tsv, jsonl, json or parquet"),
        };
        char? delimiter = parse.GetValue(Delimiter) switch
        {
            null => parse.GetValue(Format) == "tsv" ? '\t' : null, "\\t" or "tab" => '\t',
            { Length: 1 } d => d[0], var d => throw new CadreException($"--delimiter: '{d}' is not one character"),
        };
        TableSource Source(string path) => new()
        {
            Path = Path.GetFullPath(path), Text = ColumnRef.Parse(parse.GetRequiredValue(Text)), Label = ColumnRef.Parse(parse.GetRequiredValue(Label)),
            Task = task, Format = format, Delimiter = delimiter,
        };
        var tests = (parse.GetValue(Test) ?? []).Select(Source).ToList();
        return (Source(input), tests, null, null, options with { Base = parse.GetValue(Base) ?? "use-lite" });
    }

    public static string Seconds(double s) => s.ToString("F1", CultureInfo.InvariantCulture);
}
