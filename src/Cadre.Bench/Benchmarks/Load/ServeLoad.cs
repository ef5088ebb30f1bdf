using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Serving;
using Cadre.Util;

namespace Cadre.Benchmarks.Load;

/// <summary>One configuration's measurement in <c>cadre bench serve</c>.</summary>
public sealed record ServeLoadResult
{
    [JsonPropertyName("mode")] public required string Mode { get; init; }
    [JsonPropertyName("specialists")] public required int Specialists { get; init; }
    [JsonPropertyName("clients")] public required int Clients { get; init; }
    [JsonPropertyName("seconds")] public required double Seconds { get; init; }
    [JsonPropertyName("requests")] public required long Requests { get; init; }
    [JsonPropertyName("errors")] public required long Errors { get; init; }
    [JsonPropertyName("throughput")] public required double Throughput { get; init; }
    [JsonPropertyName("p50_ms")] public required double P50Ms { get; init; }
    [JsonPropertyName("p99_ms")] public required double P99Ms { get; init; }
    [JsonPropertyName("rows_per_batch")] public required double RowsPerBatch { get; init; }
    [JsonPropertyName("warm_seconds")] public required double WarmSeconds { get; init; }
    [JsonPropertyName("resident_bytes")] public long ResidentBytes { get; init; }
    [JsonPropertyName("peak_resident_bytes")] public long PeakResidentBytes { get; init; }
}

/// <summary>
/// Starts the HTTP server over <paramref name="service"/> on loopback and returns where it listens; disposing the
/// result stops it. The caller supplies it (the CLI: Cadre.Server's <c>CadreServer.Build</c>), so the load bench needs
/// no web host of its own.
/// </summary>
public delegate Task<LoopbackServer> StartLoopbackServer(ISpecialistService service);

/// <summary>A started server: its address and the handle that stops it.</summary>
public sealed record LoopbackServer(Uri Address, IAsyncDisposable Server);

/// <summary>
/// Closed-loop load over loopback HTTP: the engine behind the real server on 127.0.0.1, <c>clients</c> concurrent
/// clients each sending one-text predict requests to a specialist drawn uniformly from the N (seeded), for a fixed
/// time after a warm-up. Every specialist is loaded before the clock starts (the load time is reported apart), so
/// the figures are steady-state serving, not cold starts. Client and server share the process and its cores, the
/// same in every configuration.
/// </summary>
public static class ServeLoad
{
    public static async Task<ServeLoadResult> RunAsync(string home, ServingOptions options, string mode, IReadOnlyList<string> names,
                                                       IReadOnlyList<string> texts, int clients, TimeSpan duration, TimeSpan warmup,
                                                       StartLoopbackServer startServer, Action<string> log)
    {
        await using var engine = new SpecialistEngine(home, options);
        var warm = Stopwatch.StartNew();
        foreach (var chunk in names.Chunk(16))
            await Task.WhenAll(chunk.Select(n => engine.LoadAsync(n, null, CancellationToken.None)));
        var warmSeconds = warm.Elapsed.TotalSeconds;
        log($"  {mode} N={names.Count}: {names.Count} specialists loaded in {warmSeconds:F1} s");
        var server = await startServer(engine);
        try
        {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
            using var http = new HttpClient(handler) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            var latencies = new List<double>[clients];
            long errors = 0, requests = 0;
            var measuring = false;
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var random = new Random(1000 + c);
                var mine = latencies[c] = [];
                while (!stop.IsCancellationRequested)
                {
                    var name = names[random.Next(names.Count)];
                    var body = new { inputs = new[] { texts[random.Next(texts.Count)] } };
                    var started = Stopwatch.GetTimestamp();
                    bool ok;
                    try
                    {
                        using var response = await http.PostAsJsonAsync($"/v1/specialists/{name}/predict", body);
                        await response.Content.ReadAsByteArrayAsync();
                        ok = response.IsSuccessStatusCode;
                    }
                    catch (HttpRequestException) { ok = false; }
                    catch (TaskCanceledException) when (!stop.IsCancellationRequested) { ok = false; }
                    if (!Volatile.Read(ref measuring)) continue;
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref requests);
                    if (!ok) Interlocked.Increment(ref errors);
                }
            })).ToList();
            await Task.Delay(warmup);
            var before = engine.Stats();
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref measuring, true);
            await Task.Delay(duration);
            Volatile.Write(ref measuring, false);
            var seconds = clock.Elapsed.TotalSeconds;
            var after = engine.Stats();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            var all = latencies.SelectMany(l => l).Order().ToArray();
            double Quantile(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
            var batches = after.Batches - before.Batches;
            return new ServeLoadResult
            {
                Mode = mode, Specialists = names.Count, Clients = clients, Seconds = seconds, Requests = requests, Errors = errors,
                Throughput = requests / seconds, P50Ms = Quantile(0.50), P99Ms = Quantile(0.99),
                RowsPerBatch = batches == 0 ? 0 : (after.Rows - before.Rows) / (double)batches, WarmSeconds = warmSeconds,
                ResidentBytes = ProcessMemory.ResidentBytes(), PeakResidentBytes = ProcessMemory.PeakResidentBytes(),
            };
        }
        finally
        {
            await server.Server.DisposeAsync();
        }
    }

    public static string ToJson(ServeLoadResult r) => JsonSerializer.Serialize(r);

    public static ServeLoadResult FromJson(string json) =>
        JsonSerializer.Deserialize<ServeLoadResult>(json) ?? throw new CadreException("bench serve: empty result from a child run");
}
