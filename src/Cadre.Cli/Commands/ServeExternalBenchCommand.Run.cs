using System.Globalization;
using Cadre.Benchmarks;
using Cadre.Benchmarks.Load;

namespace Cadre.Cli.Commands;

internal static partial class ServeExternalBenchCommand
{
    /// <summary>
    /// The rows of one run: per N a fresh server process, then saturation (wrk), below and above (the open-loop
    /// client). The rates come from the first, smallest N and stay fixed, so the rows of every N compare.
    /// </summary>
    private sealed class Run(CliContext context, Settings s, string? wrk, string script, string textsFile, IReadOnlyList<string> names, string warmText)
    {
        private double? _saturation;

        public List<ExternalServeRow> Rows { get; } = [];
        public List<ServerRun> Servers { get; } = [];
        public List<string> Skipped { get; } = [];
        public double BelowRate => s.BelowRate ?? (_saturation is { } sat ? s.Fraction * sat : double.NaN);
        public double AboveRate { get; private set; } = double.NaN;

        public async Task OneCountAsync(string home, int n, CancellationToken cancel)
        {
            await using var server = await ServeProcess.StartAsync(home, ["--pool-budget-mb", "16384", .. s.ServeArgs], cancel);
            var warm = System.Diagnostics.Stopwatch.StartNew();
            await server.WarmAsync(names.Take(n).ToList(), warmText, cancel);
            context.Error.WriteLine($"N={n}: cadre serve (pid {server.Id}) at {server.Address}, {n} specialists loaded in {warm.Elapsed.TotalSeconds:F1} s");
            // Below before above, so that the below row never measures what an open-loop overload leaves behind (a
            // grown heap and thread pool). Without wrk the above row sets the rates, so it goes first.
            string[] order = _saturation is null && s.BelowRate is null && wrk is null
                ? [ExternalServeReport.Saturation, ExternalServeReport.Above, ExternalServeReport.Below]
                : [ExternalServeReport.Saturation, ExternalServeReport.Below, ExternalServeReport.Above];
            foreach (var mode in order.Where(s.Modes.Contains))
            {
                var result = mode switch
                {
                    ExternalServeReport.Saturation => await SaturationAsync(server, n, cancel),
                    ExternalServeReport.Above => await ClientAsync(server, n, AboveRate = s.AboveRate ?? (_saturation * s.AboveFactor ?? ProbeRate), cancel),
                    _ => await ClientAsync(server, n, BelowRate, cancel),
                };
                if (result is null) continue;
                if (_saturation is null && mode != ExternalServeReport.Below)
                    _saturation = result.AchievedRate > 0 ? result.AchievedRate // wrk's, or else what the above row achieved, at the smallest N
                        : throw new CadreException($"bench serve-external: no request was answered in the {mode} row at N = {n}; nothing to set the rates by");
                Rows.Add(new ExternalServeRow(n, mode, result));
                context.Error.WriteLine($"N={n,5} {mode,-10}: offered {result.OfferedRate,7:F1}/s achieved {result.AchievedRate,7:F1}/s  p50 {result.P50Ms,6:F1} ms  "
                                        + $"p99 {result.P99Ms,6:F1} ms  max {result.MaxMs,7:F1} ms  ok {result.Ok}/{result.Sent}  send lag p99 {result.SendLagP99Ms:F1} ms");
            }
            Servers.Add(new ServerRun(n, server.Id, await server.StopAsync()));
        }

        private async Task<LoadResult?> SaturationAsync(ServeProcess server, int n, CancellationToken cancel)
        {
            if (wrk is null)
            {
                Skipped.Add($"`{ExternalServeReport.Saturation}` at N = {n:N0}: wrk is not installed (Debian: apt-get install wrk)");
                return null;
            }
            int Secs(double v) => (int)Math.Ceiling(v);
            if (s.Warmup > 0)
                await WrkLoad.RunAsync(wrk, script, server.Address, s.WrkThreads, s.Connections, Secs(s.Warmup), n, ServeBenchSpecialists.Prefix, textsFile, context.Error.WriteLine, cancel);
            return await WrkLoad.RunAsync(wrk, script, server.Address, s.WrkThreads, s.Connections, Secs(s.Seconds), n, ServeBenchSpecialists.Prefix, textsFile, context.Error.WriteLine, cancel);
        }

        /// <summary>The open-loop client as a child process: <c>cadre bench load</c>, its JSON on standard output.</summary>
        private async Task<LoadResult> ClientAsync(ServeProcess server, int n, double rate, CancellationToken cancel)
        {
            var info = ChildProcess.Cadre(["bench", "load", "--url", server.Address.ToString(), "--rate", I(rate), "--seconds", I(s.Seconds),
                                           "--warmup", I(s.Warmup), "--specialists", n.ToString(CultureInfo.InvariantCulture),
                                           "--prefix", ServeBenchSpecialists.Prefix, "--texts", textsFile,
                                           "--connections", s.ClientConnections.ToString(CultureInfo.InvariantCulture)]);
            var (code, output) = await ChildProcess.RunAsync(info, context.Error.WriteLine, cancel);
            var json = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (code != 0 || json is null) throw new CadreException($"bench serve-external: the load client failed at N = {n} (exit {code})");
            return LoadResult.FromJson(json);
        }

        private static string I(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }
}
