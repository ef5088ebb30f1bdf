using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Cadre.Benchmarks.Load;

/// <summary>
/// Saturation as wrk measures it: a fixed number of connections, each sending its next request as soon as the last
/// is answered (closed loop), with bench/serve/wrk-specialists.lua spreading the requests over the specialists and
/// printing the figures from its done() hook. Its requests/s is the server's throughput at that concurrency.
/// </summary>
public static class WrkLoad
{
    /// <summary>The wrk executable on PATH, or null (Debian: <c>apt-get install wrk</c>).</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "wrk")).FirstOrDefault(File.Exists);

    public static async Task<LoadResult> RunAsync(string wrk, string script, Uri url, int threads, int connections, int seconds,
                                                  int specialists, string prefix, string textsFile, Action<string> log, CancellationToken cancel)
    {
        var info = new ProcessStartInfo(wrk) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-t", I(threads), "-c", I(connections), "-d", I(seconds) + "s", "--timeout", "60s", "-s", script,
                                  url.ToString().TrimEnd('/'), "--", I(specialists), prefix, textsFile })
            info.ArgumentList.Add(a);
        var (code, output) = await ChildProcess.RunAsync(info, log, cancel);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("wrk-json: ", StringComparison.Ordinal));
        if (code != 0 || line is null) throw new CadreException($"wrk failed (exit {code}):\n{output}");
        return Parse(line["wrk-json: ".Length..]);
    }

    /// <summary>Reads the script's done() line: socket errors count as status "0" (no answer).</summary>
    public static LoadResult Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var requests = root.GetProperty("requests").GetInt64();
        var seconds = root.GetProperty("duration_us").GetInt64() / 1e6;
        var statuses = root.GetProperty("statuses").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        var ok = statuses.Where(s => s.Key.StartsWith('2')).Sum(s => s.Value);
        var errors = statuses.Where(s => !s.Key.StartsWith('2')).ToDictionary(s => s.Key, s => s.Value);
        var socket = root.GetProperty("socket_errors").EnumerateObject().Sum(p => p.Value.GetInt64());
        if (socket > 0) errors["0"] = socket;
        return new LoadResult
        {
            Tool = "wrk", OfferedRate = double.NaN, AchievedRate = seconds > 0 ? ok / seconds : 0, Seconds = seconds,
            Sent = requests + socket, Ok = ok, Errors = errors,
            P50Ms = root.GetProperty("p50_ms").GetDouble(), P90Ms = root.GetProperty("p90_ms").GetDouble(),
            P99Ms = root.GetProperty("p99_ms").GetDouble(), MaxMs = root.GetProperty("max_ms").GetDouble(),
        };
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
