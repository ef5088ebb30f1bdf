using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cadre.Benchmarks;
using Cadre.Benchmarks.Load;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre bench serve-external [--base use-lite] [--counts 1,1000] [--seconds 15] [--fraction 0.5] [--results FILE]</c>:
/// <c>cadre serve</c> as its own process, driven from other processes (wrk for saturation, <c>cadre bench load</c> open
/// loop above and below it), so the latency is the server's and not that of a client sharing its runtime.
/// </summary>
internal static partial class ServeExternalBenchCommand
{
    private static readonly string[] AllModes = [ExternalServeReport.Saturation, ExternalServeReport.Above, ExternalServeReport.Below];

    /// <summary>The offered rate of the above-saturation row when wrk could not measure saturation first.</summary>
    private const double ProbeRate = 2000;

    private const int DefaultClientConnections = 1024;

    private sealed record Settings(int[] Counts, double Seconds, double Warmup, double Fraction, double? BelowRate, double AboveFactor,
                                   double? AboveRate, int Connections, int WrkThreads, int ClientConnections, string[] Modes, string[] ServeArgs)
    {
        /// <summary>Every problem at once, before anything is trained or started.</summary>
        public IReadOnlyList<string> Validate(bool haveWrk)
        {
            var errors = new List<string>();
            if (Counts.Length == 0 || Counts[0] < 1) errors.Add("--counts must be positive numbers");
            if (!(Seconds >= 1) || !(Warmup >= 0)) errors.Add("--seconds must be at least 1 and --warmup not negative");
            if (!(Fraction > 0) || BelowRate is <= 0 || !(AboveFactor > 0) || AboveRate is <= 0) errors.Add("--fraction, --rate, --above and --above-rate must be positive");
            if (Connections < 1 || WrkThreads < 1 || Connections < WrkThreads || ClientConnections < 1)
                errors.Add("--connections, --wrk-threads and --client-connections must be positive, with at least one connection per wrk thread");
            if (Modes.Except(AllModes).ToList() is { Count: > 0 } unknown)
                errors.Add($"--modes: unknown {string.Join(", ", unknown)}; known: {string.Join(", ", AllModes)}");
            var measuresSaturation = (Modes.Contains(ExternalServeReport.Saturation) && haveWrk) || Modes.Contains(ExternalServeReport.Above);
            if (Modes.Contains(ExternalServeReport.Below) && BelowRate is null && !measuresSaturation)
                errors.Add("the below-saturation rate needs a saturation row (wrk installed) or an above row, or an explicit --rate");
            return errors;
        }
    }

    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "The base to serve (copied into a scratch CADRE_HOME).", DefaultValueFactory = _ => "use-lite" };
        var counts = new Option<string>("--counts") { Description = "Numbers of specialists; the smallest sets the rates used at all.", DefaultValueFactory = _ => "1,1000" };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per row.", DefaultValueFactory = _ => 15 };
        var warmup = new Option<double>("--warmup") { Description = "Unmeasured seconds of the same load before each row.", DefaultValueFactory = _ => 3 };
        var fraction = new Option<double>("--fraction") { Description = "Below-saturation rate as a fraction of the saturation throughput at the smallest N.", DefaultValueFactory = _ => 0.5 };
        var rate = new Option<double?>("--rate") { Description = "Below-saturation rate in requests/s (instead of --fraction)." };
        var above = new Option<double>("--above") { Description = "Above-saturation rate as a multiple of the saturation throughput.", DefaultValueFactory = _ => 1.5 };
        var aboveRate = new Option<double?>("--above-rate") { Description = $"Above-saturation rate in requests/s (default: --above x saturation; {ProbeRate} without wrk)." };
        var connections = new Option<int>("--connections") { Description = "wrk's connections (its concurrency).", DefaultValueFactory = _ => 32 };
        var wrkThreads = new Option<int>("--wrk-threads") { Description = "wrk's threads.", DefaultValueFactory = _ => 2 };
        var clientConnections = new Option<int>("--client-connections") { Description = "The open-loop client's connections at most.", DefaultValueFactory = _ => DefaultClientConnections };
        var modes = new Option<string>("--modes") { Description = "Rows to run per N.", DefaultValueFactory = _ => string.Join(',', AllModes) };
        var serveArgs = new Option<string?>("--serve-options") { Description = "Extra options for cadre serve, e.g. \"--batch-wait-ms 2\"." };
        var work = new Option<string?>("--work") { Description = "Scratch folder (default: under CADRE_HOME/tmp; removed afterwards unless given)." };
        var json = new Option<string?>("--json") { Description = "Also write every row as JSON to this file." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("serve-external", "p50/p99 latency and throughput of cadre serve in its own process, loaded from other processes at, above and below saturation.")
            { baseName, counts, seconds, warmup, fraction, rate, above, aboveRate, connections, wrkThreads, clientConnections, modes, serveArgs, work, json, results };
        command.SetAction(async (parse, cancel) =>
        {
            var s = new Settings(ParseCounts(parse.GetRequiredValue(counts)), parse.GetValue(seconds), parse.GetValue(warmup), parse.GetValue(fraction),
                                 parse.GetValue(rate), parse.GetValue(above), parse.GetValue(aboveRate), parse.GetValue(connections), parse.GetValue(wrkThreads),
                                 parse.GetValue(clientConnections), parse.GetRequiredValue(modes).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                                 (parse.GetValue(serveArgs) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
            var wrk = WrkLoad.Find();
            if (s.Validate(wrk is not null) is { Count: > 0 } errors) throw new CadreException(string.Join("; ", errors));
            var name = parse.GetRequiredValue(baseName);
            var folder = parse.GetValue(work) ?? Path.Combine(context.Home, "tmp", "bench-serve-external-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                var loadStart = ExternalServeReport.LoadAverage();
                var scratch = Path.Combine(folder, "home");
                StoreBenchHome.Prepare(context.Home, name, scratch);
                var (names, texts) = ServeBenchSpecialists.Create(scratch, name, s.Counts[^1], Path.Combine(folder, "data"), context.Error.WriteLine);
                var textsFile = Path.Combine(folder, "texts.txt");
                File.WriteAllLines(textsFile, texts);
                var bench = new Run(context, s, wrk, WriteScript(folder), textsFile, names, texts[0]);
                foreach (var n in s.Counts)
                    await bench.OneCountAsync(scratch, n, cancel);
                var run = new ExternalServeRun(loadStart, ExternalServeReport.LoadAverage(), bench.Rows, bench.Servers, bench.Skipped);
                var line = CommandLine(name, s, parse.GetValue(results));
                var md = ExternalServeReport.Markdown(run, line, Setup(name, s, bench));
                context.Out.WriteLine(md);
                if (parse.GetValue(json) is { } jf) await File.WriteAllTextAsync(jf, JsonSerializer.Serialize(run, JsonOptions), cancel);
                if (parse.GetValue(results) is { } path) ResultsFile.ReplaceSection(path, "serve-external", md);
            }
            finally
            {
                if (parse.GetValue(work) is null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static int[] ParseCounts(string text) =>
        [.. text.Split(',').Select(s => int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                 : throw new CadreException($"--counts: '{s.Trim()}' is not a whole number (e.g. --counts 1,1000)")).Distinct().Order()];

    /// <summary>The command that reproduces the run: every setting that shapes the figures, defaults included where they matter.</summary>
    private static string CommandLine(string baseName, Settings s, string? results)
    {
        var line = new List<string> { $"cadre bench serve-external --base {baseName} --counts {string.Join(',', s.Counts)} --seconds {I(s.Seconds)} --warmup {I(s.Warmup)}" };
        line.Add(s.BelowRate is { } below ? $"--rate {I(below)}" : $"--fraction {I(s.Fraction)}");
        line.Add(s.AboveRate is { } above ? $"--above-rate {I(above)}" : $"--above {I(s.AboveFactor)}");
        line.Add($"--connections {s.Connections} --wrk-threads {s.WrkThreads}");
        if (s.ClientConnections != DefaultClientConnections) line.Add($"--client-connections {s.ClientConnections}");
        if (!s.Modes.SequenceEqual(AllModes)) line.Add($"--modes {string.Join(',', s.Modes)}");
        if (s.ServeArgs.Length > 0) line.Add($"--serve-options \"{string.Join(' ', s.ServeArgs)}\"");
        if (results is not null) line.Add($"--results {results}");
        return string.Join(' ', line);
    }

    private static string WriteScript(string folder)
    {
        var path = Path.Combine(folder, "wrk-specialists.lua");
        using var resource = typeof(ServeExternalBenchCommand).Assembly.GetManifestResourceStream("wrk-specialists.lua")
                             ?? throw new CadreException("the wrk script is missing from this build");
        using var file = File.Create(path);
        resource.CopyTo(file);
        return path;
    }

    private static string Setup(string baseName, Settings s, Run bench) =>
        $"Each specialist: LoRA r = 8 on every attention and feed-forward site of {baseName} with its own head, as in `cadre bench serve`. "
        + $"`cadre serve` runs as its own process on 127.0.0.1 (its defaults, a pool budget that holds every adapter{(s.ServeArgs.Length > 0 ? ", " + string.Join(' ', s.ServeArgs) : "")}), "
        + "started afresh for each N, with all N specialists loaded by one request each before anything is measured. The load comes from other "
        + "processes on the same machine (they share its cores, not the server's runtime): one text per request, specialists drawn uniformly. "
        + $"Per row {I(s.Warmup)} s of unmeasured load, then {I(s.Seconds)} s measured. wrk: {s.WrkThreads} threads, {s.Connections} connections. "
        + $"Below saturation: {(s.BelowRate is null ? $"{I(s.Fraction)} x the saturation throughput at N = {s.Counts[0]:N0} = " : "")}{I(bench.BelowRate)} requests/s "
        + $"offered at every N; above: {I(bench.AboveRate)} requests/s.";

    private static string I(double v) => double.IsNaN(v) ? "–" : Math.Round(v, 1).ToString(CultureInfo.InvariantCulture);
}
