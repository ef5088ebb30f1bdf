using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Cadre.Benchmarks.Load;

/// <summary>The time an open-loop run is scheduled by; tests inject a manual one.</summary>
public interface ILoadClock
{
    /// <summary>Time since the clock's own origin.</summary>
    TimeSpan Now { get; }

    /// <summary>Completes once <see cref="Now"/> has reached <paramref name="at"/> (at once if it has).</summary>
    Task WaitUntilAsync(TimeSpan at, CancellationToken cancel);
}

/// <summary>The monotonic clock; waits with timers (about 1 ms late on Linux, which the send lag reports).</summary>
public sealed class SystemLoadClock : ILoadClock
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public TimeSpan Now => Stopwatch.GetElapsedTime(_origin);

    public Task WaitUntilAsync(TimeSpan at, CancellationToken cancel)
    {
        var wait = at - Now;
        return wait > TimeSpan.Zero ? Task.Delay(wait, cancel) : Task.CompletedTask;
    }
}

/// <summary>
/// An open-loop load: request i is due at i / rate seconds whatever happened to the earlier ones (the clock schedules,
/// not the answers), so a slow server meets a queue as it would in production, and each latency runs from the due
/// time, not from when the request actually left: a stalled client or server cannot hide the requests it delayed
/// (no coordinated omission, unlike a closed-loop client that only sends after each answer).
/// </summary>
public static class OpenLoopLoad
{
    /// <summary>The text sent when none are given: a short sentence like the benchmark specialists' data.</summary>
    public const string DefaultText = "the team won the final after a great season";

    /// <param name="send">Sends request i; returns its HTTP status, or 0 when no answer came.</param>
    public static async Task<LoadSample[]> RunAsync(Func<long, Task<int>> send, double rate, TimeSpan total, ILoadClock clock,
                                                   CancellationToken cancel)
    {
        if (!(rate > 0) || total <= TimeSpan.Zero) throw new CadreException("load: the rate and the duration must be positive");
        var count = (long)Math.Floor(rate * total.TotalSeconds + 1e-9);
        var samples = new LoadSample[count];
        var pending = new Task[count];
        var start = clock.Now;
        for (long i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            await clock.WaitUntilAsync(start + due, cancel);
            pending[i] = One(i, due);
        }
        await Task.WhenAll(pending);
        return samples;

        async Task One(long i, TimeSpan due)
        {
            var lag = (clock.Now - start - due).TotalMilliseconds;
            int status;
            try { status = await send(i); }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancel.IsCancellationRequested) { status = 0; }
            samples[i] = new LoadSample(due, lag, status, (clock.Now - start - due).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Open-loop predict requests over HTTP: each to a specialist drawn uniformly (seeded) from
    /// <c>{prefix}0000 .. {prefix}{N-1}</c>, with one text drawn from <paramref name="texts"/>. Requests past
    /// <paramref name="connections"/> in flight wait in the client for a connection, and that wait counts as latency.
    /// </summary>
    public static async Task<LoadResult> HttpAsync(Uri url, double rate, TimeSpan duration, TimeSpan warmup, int specialists, string prefix,
                                                  IReadOnlyList<string> texts, int connections, int seed, CancellationToken cancel)
    {
        var paths = Enumerable.Range(0, specialists).Select(i => $"/v1/specialists/{prefix}{i:0000}/predict").ToArray();
        var bodies = texts.Select(t => JsonSerializer.SerializeToUtf8Bytes(new { inputs = new[] { t } })).ToArray();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(30) };
        using var http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        var random = new Random(seed);
        var json = new MediaTypeHeaderValue("application/json");
        // The draw happens on the scheduling loop (one thread); the send itself leaves it at once.
        Task<int> Send(long i)
        {
            var (path, body) = (paths[random.Next(paths.Length)], bodies[random.Next(bodies.Length)]);
            return Task.Run(async () =>
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = json;
                using var response = await http.PostAsync(path, content, cancel);
                await response.Content.ReadAsByteArrayAsync(cancel);
                return (int)response.StatusCode;
            }, cancel);
        }
        var samples = await RunAsync(Send, rate, warmup + duration, new SystemLoadClock(), cancel);
        return LoadStatistics.Summarize(samples, rate, warmup);
    }
}
