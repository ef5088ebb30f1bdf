using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cadre.Benchmarks;
using Cadre.Benchmarks.Load;
using Cadre.Server;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cadre.Cli.Commands;

/// <summary>
/// <c>cadre bench serve [--base use-lite] [--counts 1,10,100,1000] [--seconds 15] [--clients 32] [--results FILE]</c>:
/// one child process per configuration, so that each one's resident memory is its own.
/// </summary>
internal static class ServeBenchCommand
{
    public static Command Create(CliContext context)
    {
        var baseName = new Option<string>("--base") { Description = "The base to serve (copied into a scratch CADRE_HOME).", DefaultValueFactory = _ => "use-lite" };
        var counts = new Option<string>("--counts") { Description = "Numbers of specialists to spread the traffic over.", DefaultValueFactory = _ => "1,10,100,1000" };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per configuration.", DefaultValueFactory = _ => 15 };
        var warmup = new Option<double>("--warmup") { Description = "Unmeasured seconds of load before the clock starts.", DefaultValueFactory = _ => 3 };
        var clients = new Option<int>("--clients") { Description = "Concurrent closed-loop clients.", DefaultValueFactory = _ => 32 };
        var perModelMax = new Option<int>("--per-model-max") { Description = "Largest N for the one-model-per-specialist baseline (each needs a base of its own in memory).", DefaultValueFactory = _ => 100 };
        var work = new Option<string?>("--work") { Description = "Scratch folder (default: under CADRE_HOME/tmp; removed afterwards unless given)." };
        var results = BenchCommand.ResultsOption();
        var command = new Command("serve", "Throughput, p50/p99 latency, errors and memory of the HTTP server over 1..1000 specialists, beside one model per specialist and per-adapter batch splitting.")
            { baseName, counts, seconds, warmup, clients, perModelMax, work, results };
        command.SetAction(parse =>
        {
            var ns = parse.GetRequiredValue(counts).Split(',').Select(s => int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                         : throw new CadreException($"--counts: '{s.Trim()}' is not a whole number (e.g. --counts 1,10,100,1000)")).Distinct().Order().ToList();
            var (secs, warm, c, maxPerModel) = (parse.GetValue(seconds), parse.GetValue(warmup), parse.GetValue(clients), parse.GetValue(perModelMax));
            if (ns.Count == 0 || ns[0] < 1 || secs <= 0 || warm < 0 || c < 1) throw new CadreException("--counts must be positive numbers, --seconds and --clients positive");
            var name = parse.GetRequiredValue(baseName);
            // A default scratch folder is held while the bench runs (a gc meanwhile leaves it) and removed afterwards.
            var lease = parse.GetValue(work) is null ? Store.StagingLease.Create(context.Home, "bench-serve") : null;
            var folder = parse.GetValue(work) ?? lease!.Path;
            var scratch = Path.Combine(folder, "home");
            try
            {
                StoreBenchHome.Prepare(context.Home, name, scratch);
                var (names, texts) = ServeBenchSpecialists.Create(scratch, name, ns[^1], Path.Combine(folder, "data"), context.Error.WriteLine);
                File.WriteAllLines(Path.Combine(folder, "texts.txt"), texts);
                var rows = new List<ServeLoadResult>();
                var skipped = new List<string>();
                foreach (var mode in ServeReport.Modes.Keys)
                    foreach (var n in ns)
                    {
                        if (mode == "per-model" && n > maxPerModel)
                        {
                            skipped.Add($"`per-model` at N = {n:N0} (one base copy per specialist; raise --per-model-max to try it)");
                            continue;
                        }
                        rows.Add(Child(context, scratch, folder, mode, n, secs, warm, c));
                        var r = rows[^1];
                        context.Error.WriteLine($"{mode,-9} N={n,5}: {r.Throughput,7:F1} requests/s  p50 {r.P50Ms,6:F1} ms  p99 {r.P99Ms,6:F1} ms  errors {r.Errors}  rows/batch {r.RowsPerBatch:F1}  RSS {r.ResidentBytes >> 20} MiB");
                    }
                var line = $"cadre bench serve --base {name} --counts {string.Join(',', ns)} --seconds {secs.ToString(CultureInfo.InvariantCulture)} --clients {c}"
                           + (parse.GetValue(results) is { } rf ? $" --results {rf}" : "");
                var setup = $"Each specialist: LoRA r = 8 on every attention and feed-forward site of {name} with its own head (a trained template plus seeded noise, so all are distinct). "
                            + $"{c} closed-loop clients on loopback, one text per request, specialists drawn uniformly; {warm.ToString(CultureInfo.InvariantCulture)} s warm-up, "
                            + $"{secs.ToString(CultureInfo.InvariantCulture)} s measured; all N specialists loaded before the clock starts; one process per row (client and server share it).";
                var md = ServeReport.Markdown(rows, skipped, line, setup);
                context.Out.WriteLine(md);
                if (parse.GetValue(results) is { } path) ResultsFile.ReplaceSection(path, "serve", md);
            }
            finally
            {
                lease?.Dispose();
            }
            return 0;
        });
        return command;
    }

    private static ServeLoadResult Child(CliContext context, string home, string folder, string mode, int n, double secs, double warm, int clients)
    {
        var output = Path.Combine(folder, $"result-{mode}-{n}.json");
        var process = Environment.ProcessPath ?? throw new CadreException("cannot tell which executable runs cadre");
        var info = new ProcessStartInfo(process) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(process) == "dotnet") info.ArgumentList.Add(typeof(ServeBenchCommand).Assembly.Location);
        foreach (var a in new[] { "bench", "serve-run", "--mode", mode, "--count", n.ToString(CultureInfo.InvariantCulture), "--seconds",
                                  secs.ToString(CultureInfo.InvariantCulture), "--warmup", warm.ToString(CultureInfo.InvariantCulture),
                                  "--clients", clients.ToString(CultureInfo.InvariantCulture), "--texts", Path.Combine(folder, "texts.txt"), "--output", output })
            info.ArgumentList.Add(a);
        info.Environment["CADRE_HOME"] = home;
        using var p = Process.Start(info) ?? throw new CadreException($"could not start {process}");
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        context.Error.Write(stderr.Result);
        if (p.ExitCode != 0 || !File.Exists(output))
            throw new CadreException($"bench serve: the {mode} run over {n} specialists failed (exit {p.ExitCode})");
        return ServeLoad.FromJson(File.ReadAllText(output));
    }

    /// <summary>The hidden child verb: one configuration, its result as JSON in --output.</summary>
    public static Command CreateRun(CliContext context)
    {
        var mode = new Option<string>("--mode") { Required = true };
        var count = new Option<int>("--count") { Required = true };
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 15 };
        var warmup = new Option<double>("--warmup") { DefaultValueFactory = _ => 3 };
        var clients = new Option<int>("--clients") { DefaultValueFactory = _ => 32 };
        var texts = new Option<string>("--texts") { Required = true };
        var output = new Option<string>("--output") { Required = true };
        var command = new Command("serve-run", "One configuration of cadre bench serve (used by it).") { mode, count, seconds, warmup, clients, texts, output };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var m = parse.GetRequiredValue(mode);
            if (!ServeReport.Modes.ContainsKey(m)) throw new CadreException($"unknown mode '{m}'; known: {string.Join(", ", ServeReport.Modes.Keys)}");
            var options = new ServingOptions
            {
                SplitPerAdapter = m == "split", OneModelPerSpecialist = m == "per-model", PoolBudgetBytes = 16L << 30,
            };
            var names = Enumerable.Range(0, parse.GetValue(count)).Select(i => $"{ServeBenchSpecialists.Prefix}{i:0000}").ToList();
            var result = ServeLoad.RunAsync(context.Home, options, m, names, File.ReadAllLines(parse.GetRequiredValue(texts)), parse.GetValue(clients),
                                            TimeSpan.FromSeconds(parse.GetValue(seconds)), TimeSpan.FromSeconds(parse.GetValue(warmup)),
                                            StartServerAsync, context.Error.WriteLine).GetAwaiter().GetResult();
            File.WriteAllText(parse.GetRequiredValue(output), ServeLoad.ToJson(result));
            return 0;
        });
        return command;
    }

    /// <summary>The real server over the engine on 127.0.0.1, a free port, no admin endpoints.</summary>
    private static async Task<LoopbackServer> StartServerAsync(ISpecialistService service)
    {
        var app = CadreServer.Build(service, new ServerSettings { Host = "127.0.0.1", Port = 0, LogLevel = LogLevel.Warning, AdminToken = null });
        await app.StartAsync();
        return new LoopbackServer(app.Address(), new StoppedOnDispose(app));
    }

    /// <summary>Disposing a web application does not stop it first; this does both.</summary>
    private sealed class StoppedOnDispose(WebApplication app) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
