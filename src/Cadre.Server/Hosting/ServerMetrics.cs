using System.Diagnostics;
using System.Globalization;
using Cadre.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Cadre.Server.Hosting;

/// <summary>
/// The Prometheus collectors of one server, in a registry of its own (several servers in one process, as in the
/// tests, never clash). HTTP counts and latencies are recorded per route pattern, never per raw path, so cardinality
/// stays bounded; the engine's counters are copied from <see cref="ISpecialistService.Stats"/> at each scrape.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Counter _batches, _rows, _engineRequests, _loads, _evictions, _batchSizes, _specialistInputs;
    private readonly Gauge _queueDepth, _queueCapacity, _hot, _registered, _poolBytes, _poolBudget, _draining;

    public ServerMetrics(ISpecialistService service, ServerState state)
    {
        var f = Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateCounter("cadre_http_requests_total", "HTTP requests answered, by route pattern, method and status.",
            ["route", "method", "status"]);
        _latency = f.CreateHistogram("cadre_http_request_duration_seconds", "HTTP request latency by route pattern and method.",
            new HistogramConfiguration { LabelNames = ["route", "method"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 18) });
        _batches = f.CreateCounter("cadre_batches_total", "Forward passes of the base run by the engine.");
        _rows = f.CreateCounter("cadre_batch_rows_total", "Rows (texts) run through the base in batches.");
        _engineRequests = f.CreateCounter("cadre_engine_requests_total", "Requests the engine accepted.");
        _loads = f.CreateCounter("cadre_adapter_loads_total", "Specialists loaded into the adapter pool.");
        _evictions = f.CreateCounter("cadre_adapter_evictions_total", "Specialists evicted from the adapter pool (least recently used).");
        _batchSizes = f.CreateCounter("cadre_batches_by_size_total", "Batches by their number of rows.", ["size"]);
        _specialistInputs = f.CreateCounter("cadre_specialist_inputs_total", "Inputs answered by the busiest specialists.", ["specialist"]);
        _queueDepth = f.CreateGauge("cadre_queue_depth", "Rows waiting for a batch.");
        _queueCapacity = f.CreateGauge("cadre_queue_capacity", "Rows that may wait before requests are refused with 429.");
        _hot = f.CreateGauge("cadre_hot_specialists", "Specialists whose adapters are in the pool.");
        _registered = f.CreateGauge("cadre_registered_specialists", "Specialists stored in the home.");
        _poolBytes = f.CreateGauge("cadre_pool_bytes", "Bytes of adapter and head tensors in the pool.");
        _poolBudget = f.CreateGauge("cadre_pool_budget_bytes", "The pool's byte budget.");
        _draining = f.CreateGauge("cadre_draining", "1 while the server drains for shutdown.");
        Registry.AddBeforeCollectCallback(() => Refresh(service, state));
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public void Observe(string route, string method, int status, TimeSpan elapsed)
    {
        _requests.WithLabels(route, method, status.ToString(CultureInfo.InvariantCulture)).Inc();
        _latency.WithLabels(route, method).Observe(elapsed.TotalSeconds);
    }

    private void Refresh(ISpecialistService service, ServerState state)
    {
        _draining.Set(state.Draining ? 1 : 0);
        ServingStats s;
        try
        {
            s = service.Stats();
        }
        catch (ServingException)
        {
            return; // nothing to serve yet: the engine's series keep their last values
        }
        _batches.IncTo(s.Batches);
        _rows.IncTo(s.Rows);
        _engineRequests.IncTo(s.Requests);
        _loads.IncTo(s.Loads);
        _evictions.IncTo(s.Evictions);
        foreach (var (size, count) in s.BatchSizeCounts)
            _batchSizes.WithLabels(size.ToString(CultureInfo.InvariantCulture)).IncTo(count);
        foreach (var (name, inputs) in s.TopSpecialists)
            _specialistInputs.WithLabels(name).IncTo(inputs);
        _queueDepth.Set(s.QueueDepth);
        _queueCapacity.Set(s.QueueCapacity);
        _hot.Set(s.HotSpecialists);
        _registered.Set(s.RegisteredSpecialists);
        _poolBytes.Set(s.PoolBytes);
        _poolBudget.Set(s.PoolBudgetBytes);
    }
}

/// <summary>Times every request and records it by route pattern (<c>unmatched</c> for unknown paths) and final status.</summary>
internal sealed class HttpMetrics(RequestDelegate next, ServerMetrics metrics, ServerState state)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = context.GetEndpoint();
            var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.Observe(route, context.Request.Method, context.Response.StatusCode, clock.Elapsed);
            if (endpoint?.Metadata.GetMetadata<WorkEndpoint>() is not null && context.Response.StatusCode < 400)
                state.CountWork();
        }
    }
}
