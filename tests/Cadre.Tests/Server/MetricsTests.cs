using System.Text.RegularExpressions;

namespace Cadre.Tests.Server;

/// <summary>/metrics: Prometheus text with request counts and latencies per route, and the engine's gauges.</summary>
public sealed partial class MetricsTests
{
    [Fact]
    public async Task MetricsCountRequestsByRouteAndStatusAndTimeThem()
    {
        await using var host = await ServerHost.StartAsync();
        for (var i = 0; i < 3; i++)
            await host.Client.PostJson("/v1/specialists/spam/predict", new { inputs = new[] { "x" } });
        await host.Client.PostJson("/v1/specialists/nope/predict", new { inputs = new[] { "x" } });
        var response = await host.Client.GetAsync("/metrics", Http.Cancel);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(Http.Cancel);

        Assert.Equal(3, Value(text, "cadre_http_requests_total", "route=\"/v1/specialists/{name}/predict\"", "status=\"200\""));
        Assert.Equal(1, Value(text, "cadre_http_requests_total", "route=\"/v1/specialists/{name}/predict\"", "status=\"404\""));
        Assert.Equal(4, Value(text, "cadre_http_request_duration_seconds_count", "route=\"/v1/specialists/{name}/predict\""));
        Assert.Contains("cadre_http_request_duration_seconds_bucket{", text);
        Assert.Equal(3, Value(text, "cadre_batch_rows_total"));
        Assert.Equal(5, Value(text, "cadre_batches_by_size_total", "size=\"1\""));
        Assert.Equal(1000, Value(text, "cadre_pool_bytes"));
        Assert.Equal(1, Value(text, "cadre_hot_specialists"));
        Assert.Equal(4, Value(text, "cadre_registered_specialists"));
        Assert.Equal(40, Value(text, "cadre_specialist_inputs_total", "specialist=\"spam\""));
        Assert.Equal(0, Value(text, "cadre_queue_depth"));
        Assert.DoesNotContain("/v1/specialists/nope", text); // route patterns, never raw paths
    }

    [Fact]
    public async Task TwoServersInOneProcessKeepTheirOwnCounts()
    {
        await using var a = await ServerHost.StartAsync();
        await using var b = await ServerHost.StartAsync();
        await a.Client.PostJson("/v1/route", new { inputs = new[] { "x" } });
        await a.Client.PostJson("/v1/route", new { inputs = new[] { "x" } });
        await b.Client.PostJson("/v1/route", new { inputs = new[] { "x" } });
        Assert.Equal(2, Value(await a.Client.GetStringAsync("/metrics", Http.Cancel), "cadre_http_requests_total", "route=\"/v1/route\""));
        Assert.Equal(1, Value(await b.Client.GetStringAsync("/metrics", Http.Cancel), "cadre_http_requests_total", "route=\"/v1/route\""));
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels contain every given pair.</summary>
    private static double Value(string text, string name, params string[] labels)
    {
        var matches = text.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => labels.All(p => l.Contains(p, StringComparison.Ordinal)))
            .ToList();
        var line = Assert.Single(matches);
        return double.Parse(Sample().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\s(\S+)$")]
    private static partial Regex Sample();
}
