using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Cadre.Benchmarks.Load;

/// <summary>One row of <c>cadre bench serve-external</c>: a load mode against a server holding N specialists.</summary>
public sealed record ExternalServeRow(
    [property: JsonPropertyName("specialists")] int Specialists,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("result")] LoadResult Result);

/// <summary>One <c>cadre serve</c> child: its process id and how it exited (0: drained on SIGTERM).</summary>
public sealed record ServerRun(
    [property: JsonPropertyName("specialists")] int Specialists,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("exit_code")] int ExitCode);

/// <summary>Everything a run measured, as written by <c>--json</c>.</summary>
public sealed record ExternalServeRun(
    [property: JsonPropertyName("load_average_start")] string LoadAverageStart,
    [property: JsonPropertyName("load_average_end")] string LoadAverageEnd,
    [property: JsonPropertyName("rows")] IReadOnlyList<ExternalServeRow> Rows,
    [property: JsonPropertyName("servers")] IReadOnlyList<ServerRun> Servers,
    [property: JsonPropertyName("skipped")] IReadOnlyList<string> Skipped);

/// <summary>The markdown of <c>cadre bench serve-external</c> for docs/RESULTS.md.</summary>
public static class ExternalServeReport
{
    public const string Saturation = "saturation";
    public const string Above = "above";
    public const string Below = "below";

    public static readonly IReadOnlyDictionary<string, string> Modes = new Dictionary<string, string>
    {
        [Saturation] = "wrk, closed loop: each connection sends its next request when the last is answered, so the achieved rate is "
                       + "the server's throughput at that concurrency; latency is per answered request",
        [Above] = "the open-loop client (`cadre bench load`, its own process) offering more than the measured saturation: requests are "
                  + "sent on a clock whatever the answers, so the queue grows; latency runs from each request's scheduled time",
        [Below] = "the same client offering a fixed fraction of the saturation throughput at the smallest N, the same rate at every N: "
                  + "the latency a user sees at a sustainable load, queueing included",
    };

    /// <summary>The 1, 5 and 15 minute load averages (Linux), or "unknown".</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    public static string Markdown(ExternalServeRun run, string command, string setup)
    {
        static string F(double v) => double.IsNaN(v) ? "–" : v.ToString("F1", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"Command: `{command}`").AppendLine();
        sb.AppendLine(Benchmarks.ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine($"Load average (1, 5, 15 min) at the start: {run.LoadAverageStart}; at the end: {run.LoadAverageEnd}. "
                      + "The figures count only if both stay well under the number of cores (nothing else running).").AppendLine();
        sb.AppendLine(setup).AppendLine();
        sb.AppendLine("| specialists | mode | offered req/s | achieved req/s | sent | ok | 429 | 504 | other errors | p50 ms | p99 ms | max ms | client lag p99 ms |");
        sb.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (n, mode, r) in run.Rows)
            sb.AppendLine($"| {n:N0} | {mode} | {F(r.OfferedRate)} | {F(r.AchievedRate)} | {r.Sent:N0} | {r.Ok:N0} | {r.ErrorsWith("429"):N0} | "
                          + $"{r.ErrorsWith("504"):N0} | {r.OtherErrors:N0} | {F(r.P50Ms)} | {F(r.P99Ms)} | {F(r.MaxMs)} | {(r.Tool == "wrk" ? "–" : F(r.SendLagP99Ms))} |");
        sb.AppendLine();
        foreach (var (mode, text) in Modes) sb.AppendLine($"- `{mode}`: {text}.");
        sb.AppendLine("- Latency percentiles are over the 2xx answers; errors are counted by status (other: any other status, or no answer). "
                      + "Client lag: how late the open-loop client itself sent (p99); when it is a large part of the latency, the client, not the server, fell behind.");
        foreach (var s in run.Skipped) sb.AppendLine($"- Not run: {s}");
        var below = run.Rows.Where(r => r.Mode == Below).OrderBy(r => r.Specialists).ToList();
        if (below.Count > 0)
        {
            var last = below[^1];
            var met = last.Result.P99Ms < 50 && last.Result.Ok == last.Result.Sent;
            sb.AppendLine().AppendLine($"Goal: p99 under 50 ms below saturation at N = {last.Specialists:N0}, every request answered. Measured: "
                                       + $"p99 {F(last.Result.P99Ms)} ms at {F(last.Result.OfferedRate)} requests/s offered, "
                                       + $"{last.Result.Ok:N0} of {last.Result.Sent:N0} answered 2xx: {(met ? "met" : "missed")}.");
        }
        return sb.ToString();
    }
}
