using Cadre.Server.Contracts;
using Cadre.Server.Hosting;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Cadre.Server.Endpoints;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text from this server's own registry. <c>GET /v1/stats</c>: the engine's counters
/// plus throughput as JSON, polled by the dashboard once a second.
/// </summary>
internal static class MetricsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RouteGroupBuilder v1)
    {
        app.MapGet("/metrics", async (HttpContext context, ServerMetrics metrics) =>
            {
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
            })
            .WithName("Metrics").WithSummary("Prometheus metrics (text format 0.0.4).")
            .ExcludeFromDescription();

        v1.MapGet("/stats", (ISpecialistService service, ServerState state, Throughput throughput) =>
            {
                var s = service.Stats();
                var latest = throughput.Latest();
                return new StatsResponse(
                    s.Batches, s.Rows, s.Requests, s.QueueDepth, s.QueueCapacity, s.HotSpecialists, s.RegisteredSpecialists,
                    s.PoolBytes, s.PoolBudgetBytes, s.Loads, s.Evictions,
                    s.BatchSizeCounts.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Value),
                    [.. s.TopSpecialists.Select(t => new HotSpecialistDto(t.Name, t.Inputs))],
                    latest?.RequestsPerSecond ?? 0, latest?.RowsPerSecond ?? 0, state.Draining,
                    [.. throughput.History().Select(h => new ThroughputDto(h.At, h.RequestsPerSecond, h.RowsPerSecond))]);
            })
            .WithName("Stats").WithSummary("The engine's counters, the last second's requests/s and rows/s, and the last minute's.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }
}
