using Cadre.Data;
using Cadre.Specs;
using YamlDotNet.RepresentationModel;
using Cadre.Util;

namespace Cadre.Suites;

/// <summary>A labelled file the suite reads besides the specialists' own: out-of-scope queries, a transfer probe.</summary>
public sealed record SuiteData(TableSource Source, int Rows);

/// <summary>A new task for the transfer experiment: a few labelled shots, evaluation rows, and the specialist one expects first.</summary>
public sealed record TransferProbe(string Name, SuiteData Data, int Shots, string? Expect);

/// <summary>
/// A suite (<c>bench/suite/default.yaml</c>): a cadre.yaml with one specialist per task, and what to measure over
/// them. Relative paths resolve against the suite file's folder. Every key and default is in docs/spec.md.
/// </summary>
public sealed record SuiteFile
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    /// <summary>The specialists, one per task (a cadre.yaml).</summary>
    public required SpecFile Specialists { get; init; }
    /// <summary>Test rows per task at most (a seeded, stratified sample). Default 500.</summary>
    public int TestRows { get; init; } = 500;
    public int Seed { get; init; } = 1;
    /// <summary>Routing methods to build and compare. Default every registered one.</summary>
    public IReadOnlyList<string> Routers { get; init; } = [.. Routing.Routers.All.Select(m => m.Name)];
    public double Coverage { get; init; } = 0.95;
    /// <summary>Train the multitask baseline (one shared adapter, one head per task). Default true.</summary>
    public bool Multitask { get; init; } = true;
    /// <summary>Merge methods to add as rows (see <see cref="MergeRows"/>). Default none.</summary>
    public IReadOnlyList<string> Merges { get; init; } = [];
    /// <summary>Inputs timed one at a time for latency. Default 100.</summary>
    public int LatencyRows { get; init; } = 100;
    /// <summary>Out-of-scope queries: the rows of this file whose label is <see cref="OutOfScopeLabel"/>.</summary>
    public SuiteData? Abstention { get; init; }
    public string OutOfScopeLabel { get; init; } = "oos";
    public IReadOnlyList<TransferProbe> Transfer { get; init; } = [];

    public static SuiteFile Load(string path)
    {
        var errors = new List<string>();
        var root = YamlFile.Read(path, "a suite file", "", errors);
        var f = new YamlFields(root.Node("suite"), "suite", errors);
        root.RejectUnknown();
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string Full(string p) => System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, p));
        var d = new SuiteFile { Path = path, Name = "", Specialists = new SpecFile(path, []) };
        var specPath = f.String("specialists");
        var transfer = new List<TransferProbe>();
        if (f.Node("transfer") is YamlSequenceNode probes)
            for (var i = 0; i < probes.Children.Count; i++)
            {
                var p = new YamlFields(probes.Children[i], $"suite.transfer[{i}]", errors);
                var name = p.String("name") ?? $"probe{i}";
                var data = ReadData(p, Full, errors, 500);
                transfer.Add(new TransferProbe(name, data!, p.Int("shots") ?? 64, p.String("expect")));
                p.RejectUnknown();
            }
        var abstention = f.Node("abstention") is { } an ? new YamlFields(an, "suite.abstention", errors) : null;
        var suite = d with
        {
            Name = f.String("name") ?? System.IO.Path.GetFileNameWithoutExtension(path),
            TestRows = f.Int("test_rows") ?? d.TestRows, Seed = f.Int("seed") ?? d.Seed,
            Routers = f.List("routers") ?? d.Routers, Coverage = f.Double("coverage") ?? d.Coverage,
            Multitask = f.Bool("multitask") ?? d.Multitask, Merges = f.List("merges") ?? d.Merges,
            LatencyRows = f.Int("latency_rows") ?? d.LatencyRows,
            Abstention = abstention is null ? null : ReadData(abstention, Full, errors, int.MaxValue),
            OutOfScopeLabel = abstention?.String("out_of_scope") ?? d.OutOfScopeLabel,
            Transfer = transfer,
        };
        abstention?.RejectUnknown();
        f.RejectUnknown();
        if (specPath is null) errors.Add("suite.specialists: required, a cadre.yaml with one specialist per task");
        errors.AddRange(suite.Validate());
        YamlFile.ThrowIfAny(path, errors);
        return suite with { Specialists = SpecFile.Load(Full(specPath!)) };
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TestRows <= 0) errors.Add("suite.test_rows: must be > 0");
        if (LatencyRows < 0) errors.Add("suite.latency_rows: must be >= 0");
        if (Coverage is <= 0 or > 1) errors.Add("suite.coverage: must be in (0, 1]");
        foreach (var r in Routers.Where(r => Routing.Routers.All.All(m => m.Name != r)))
            errors.Add($"suite.routers: '{r}' is not one of {string.Join(", ", Routing.Routers.All.Select(m => m.Name))}{Suggest.DidYouMean(r, Routing.Routers.All.Select(m => m.Name))}");
        if (Routers.Count == 0) errors.Add("suite.routers: at least one");
        foreach (var (p, i) in Transfer.Select((p, i) => (p, i)).Where(x => x.p.Shots < 2))
            errors.Add($"suite.transfer[{i}].shots: must be at least 2");
        return errors;
    }

    /// <summary>A data mapping: <c>{path, text, label, format, header, delimiter, rows}</c>.</summary>
    private static SuiteData? ReadData(YamlFields f, Func<string, string> full, List<string> errors, int defaultRows)
    {
        var path = f.String("path");
        if (path is null)
        {
            errors.Add($"{f.Path}.path: required");
            return null;
        }
        var file = full(path);
        if (!File.Exists(file)) errors.Add($"{f.Path}.path: file not found: {file}");
        var format = f.String("format");
        var delimiter = f.String("delimiter");
        var source = new TableSource
        {
            Path = file, Text = ColumnRef.Parse(f.String("text") ?? "text"), Label = ColumnRef.Parse(f.String("label") ?? "label"),
            Format = format switch { null => null, "jsonl" => DataFormat.Jsonl, "json" => DataFormat.Json, "parquet" => DataFormat.Parquet, _ => DataFormat.Delimited },
            Delimiter = delimiter is "\\t" or "tab" ? '\t' : delimiter is { Length: 1 } ? delimiter[0] : null,
            Header = f.Bool("header"),
        };
        return new SuiteData(source, f.Int("rows") ?? defaultRows);
    }
}
