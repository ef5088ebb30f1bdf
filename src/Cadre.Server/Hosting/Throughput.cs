using Cadre.Serving;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cadre.Server.Hosting;

/// <summary>One second of throughput: work requests answered and rows the engine ran, per second.</summary>
public sealed record ThroughputSample(DateTimeOffset At, double RequestsPerSecond, double RowsPerSecond);

/// <summary>
/// Samples the server's work-request count and the engine's row count once a second and keeps the last minute, so
/// the dashboard's sparkline is the same for every viewer and polling it costs one snapshot, not a computation.
/// </summary>
internal sealed class Throughput(ISpecialistService service, ServerState state, TimeProvider clock) : BackgroundService
{
    public const int Capacity = 60;
    private readonly Lock _gate = new();
    private readonly Queue<ThroughputSample> _samples = new();
    private (long Ticks, long Requests, long Rows)? _last;

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
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
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
