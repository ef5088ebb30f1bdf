using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Benchmarks.Load;

/// <summary>
/// One load run against a running server, from the open-loop client (<c>cadre bench load</c>) or from wrk: what was
/// sent, what came back by status, and the latency of the answered requests. Status "0" counts requests that got no
/// HTTP answer at all (connection refused or reset, client timeout).
/// </summary>
public sealed record LoadResult
{
    [JsonPropertyName("tool")] public required string Tool { get; init; }
    /// <summary>Requests per second the client scheduled; NaN for a closed-loop tool (wrk), which has none.</summary>
    [JsonPropertyName("offered_rate")] public required double OfferedRate { get; init; }
    [JsonPropertyName("achieved_rate")] public required double AchievedRate { get; init; }
    [JsonPropertyName("seconds")] public required double Seconds { get; init; }
    [JsonPropertyName("sent")] public required long Sent { get; init; }
    [JsonPropertyName("ok")] public required long Ok { get; init; }
    /// <summary>Answers other than 2xx by status code ("429", "504", ...; "0": no answer).</summary>
    [JsonPropertyName("errors")] public required IReadOnlyDictionary<string, long> Errors { get; init; }
    [JsonPropertyName("p50_ms")] public required double P50Ms { get; init; }
    [JsonPropertyName("p90_ms")] public required double P90Ms { get; init; }
    [JsonPropertyName("p99_ms")] public required double P99Ms { get; init; }
    [JsonPropertyName("max_ms")] public required double MaxMs { get; init; }
    /// <summary>How late the client itself sent (p99): large values mean the client, not the server, fell behind.</summary>
    [JsonPropertyName("send_lag_p99_ms")] public double SendLagP99Ms { get; init; }

    public long ErrorsWith(string status) => Errors.TryGetValue(status, out var n) ? n : 0;

    public long OtherErrors => Errors.Where(e => e.Key is not ("429" or "504")).Sum(e => e.Value);

    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static LoadResult FromJson(string json) =>
        JsonSerializer.Deserialize<LoadResult>(json, Options) ?? throw new CadreException("bench: empty load result");
}

/// <summary>One request of an open-loop run: when it was due, how late it left, its status (0: no answer), its latency.</summary>
public readonly record struct LoadSample(TimeSpan Due, double SendLagMs, int Status, double LatencyMs);

/// <summary>The arithmetic of a load run: nearest-rank percentiles and the summary of the measured samples.</summary>
public static class LoadStatistics
{
    /// <summary>Nearest-rank percentile of ascending <paramref name="sorted"/> (q in (0, 1]); NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>
    /// Summarizes the samples due at or after <paramref name="warmup"/>. Latency percentiles are over the 2xx answers
    /// (a 429 refused at once would otherwise look fast); the achieved rate is those answers over the time from the
    /// first measured due time to the last measured answer (at least the scheduled span), so a backlog drained after
    /// the schedule ends counts in the time it took.
    /// </summary>
    public static LoadResult Summarize(IReadOnlyList<LoadSample> samples, double offeredRate, TimeSpan warmup)
    {
        var measured = samples.Where(s => s.Due >= warmup).ToList();
        var ok = measured.Where(s => s.Status is >= 200 and < 300).Select(s => s.LatencyMs).Order().ToList();
        var errors = measured.Where(s => s.Status is < 200 or >= 300).GroupBy(s => s.Status.ToString(CultureInfo.InvariantCulture))
                             .ToDictionary(g => g.Key, g => (long)g.Count());
        var end = measured.Count == 0 ? warmup : measured.Max(s => s.Due + TimeSpan.FromMilliseconds(s.LatencyMs));
        // At least the span the schedule covers (count / rate): answers all in time make the achieved rate the offered one.
        var window = Math.Max((end - warmup).TotalSeconds, offeredRate > 0 ? measured.Count / offeredRate : 0);
        return new LoadResult
        {
            Tool = "open-loop", OfferedRate = offeredRate, AchievedRate = window > 0 ? ok.Count / window : 0, Seconds = window,
            Sent = measured.Count, Ok = ok.Count, Errors = errors,
            P50Ms = Percentile(ok, 0.50), P90Ms = Percentile(ok, 0.90), P99Ms = Percentile(ok, 0.99), MaxMs = ok.Count == 0 ? double.NaN : ok[^1],
            SendLagP99Ms = Percentile(measured.Select(s => s.SendLagMs).Order().ToList(), 0.99),
        };
    }
}
