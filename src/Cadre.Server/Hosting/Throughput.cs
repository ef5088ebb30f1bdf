using Cadre.Serving;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cadre.Server.Hosting;

/// <summary>One second of throughput: work requests answered and rows the engine ran, per second.</summary>
public sealed record ThroughputSample(DateTimeOffset At, double RequestsPerSecond, double RowsPerSecond);

/// <summary>
/// Samples the server's work-request count and the engine's row count every <see cref="ServerSettings.SampleInterval"/>
/// (one second by default) and keeps the last <see cref="Capacity"/> samples, so the dashboard's sparkline is the same
/// for every viewer and polling it costs one snapshot, not a computation. A failing sample never stops the server:
/// the failure is logged once per distinct message and sampling goes on.
/// </summary>
internal sealed class Throughput(ISpecialistService service, ServerState state, TimeProvider clock, TimeSpan interval, ILogger<Throughput> log)
    : BackgroundService
{
    public const int Capacity = 60;
    private const int MaxReported = 64; // distinct failures logged; more are counted only
    private readonly Lock _gate = new();
    private readonly Queue<ThroughputSample> _samples = new();
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private (long Ticks, long Requests, long Rows)? _last;
    private long _failures;

    /// <summary>Samples whose engine counters could not be read for an unexpected reason (a bug: the log has it).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public IReadOnlyList<ThroughputSample> History()
    {
        lock (_gate)
            return [.. _samples];
    }

    public ThroughputSample? Latest()
    {
        lock (_gate)
            return _samples.Count > 0 ? _samples.Last() : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        Sample();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                Sample();
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    internal void Sample()
    {
        long rows;
        try
        {
            rows = service.Stats().Rows;
        }
        catch (ServingException)
        {
            rows = _last?.Rows ?? 0; // nothing to serve yet
        }
        catch (Exception e)
        {
            // A bug in reading the counters must not take the server down with the sampler: the host stops when a
            // background service fails. Keep the last rows and try again at the next tick.
            Interlocked.Increment(ref _failures);
            Report(e);
            rows = _last?.Rows ?? 0;
        }
        var now = clock.GetTimestamp();
        var requests = state.WorkRequests;
        lock (_gate)
        {
            if (_last is { } last)
            {
                var seconds = clock.GetElapsedTime(last.Ticks, now).TotalSeconds;
                if (seconds > 0)
                    _samples.Enqueue(new ThroughputSample(clock.GetUtcNow(), (requests - last.Requests) / seconds, (rows - last.Rows) / seconds));
                while (_samples.Count > Capacity)
                    _samples.Dequeue();
            }
            _last = (now, requests, rows);
        }
    }

    private void Report(Exception e)
    {
        var key = e.GetType().FullName + ": " + e.Message;
        lock (_gate)
            if (_reported.Count >= MaxReported || !_reported.Add(key))
                return;
        log.LogError(e, "the throughput sampler could not read the engine's counters; it keeps sampling (logged once per distinct failure)");
    }
}

/// <summary>
/// Graceful shutdown, first of all stopping steps: readyz turns 503, new work is refused, and the engine finishes what
/// it holds (<see cref="ISpecialistService.DrainAsync"/>); Kestrel then waits for the requests in flight to be
/// written before the process exits.
/// </summary>
internal sealed class DrainOnStop(ISpecialistService service, ServerState state, ILogger<DrainOnStop> log)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        state.StartDraining();
        try
        {
            await service.DrainAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or ServingException)
        {
            log.LogWarning("draining did not finish: {Message}", e.Message);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
