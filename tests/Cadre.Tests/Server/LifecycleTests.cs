using System.Net;
using Cadre.Serving;

namespace Cadre.Tests.Server;

/// <summary>Cancellation reaches the service; a stop drains (readyz 503) and lets requests in flight finish.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task AClientThatDisconnectsCancelsTheServiceCall()
    {
        await using var host = await ServerHost.StartAsync();
        host.Service.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // never released
        using var client = new CancellationTokenSource();
        var request = host.Client.PostAsync("/v1/route", System.Net.Http.Json.JsonContent.Create(new { inputs = new[] { "held" } }), client.Token);
        await host.Service.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Http.Cancel);
        await client.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await host.Service.CancellationObserved.Task.WaitAsync(TimeSpan.FromSeconds(10), Http.Cancel);
    }

    [Fact]
    public async Task ARequestPastTheTimeoutIs504AndTheServiceSeesTheCancellation()
    {
        await using var host = await ServerHost.StartAsync(new ServingOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        host.Service.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var response = await host.Client.PostJson("/v1/ask", new { inputs = new[] { "slow" } });
        var problem = await response.Problem(504, "timeout");
        Assert.Contains("timeout", problem.GetProperty("detail").GetString());
        Assert.True(host.Service.CancellationObserved.Task.IsCompleted);
    }

    [Fact]
    public async Task ReadinessIs503WhileDrainingAndNewWorkIsRefused()
    {
        var host = await ServerHost.StartAsync();
        try
        {
            host.Service.DrainGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var stop = host.App.StopAsync(Http.Cancel);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!host.Service.Draining && DateTime.UtcNow < deadline)
                await Task.Delay(20, Http.Cancel);
            Assert.True(host.Service.Draining, "the stop did not call DrainAsync");
            await (await host.Client.GetAsync("/readyz", Http.Cancel)).Problem(503, "unavailable");
            var refused = await host.Client.PostJson("/v1/route", new { inputs = new[] { "x" } });
            await refused.Problem(503, "unavailable");
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/healthz", Http.Cancel)).StatusCode);
            host.Service.DrainGate.SetResult();
            await stop.WaitAsync(TimeSpan.FromSeconds(15), Http.Cancel);
        }
        finally
        {
            await host.App.DisposeAsync();
        }
    }

    [Fact]
    public async Task StoppingLetsARequestInFlightFinishWith200()
    {
        var host = await ServerHost.StartAsync();
        try
        {
            var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            host.Service.Hold = hold;
            var request = host.Client.PostJson("/v1/specialists/spam/predict", new { inputs = new[] { "win now" } });
            await host.Service.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Http.Cancel);
            _ = Task.Delay(TimeSpan.FromSeconds(1), Http.Cancel).ContinueWith(_ => hold.TrySetResult(), TaskScheduler.Default);
            var stop = host.App.StopAsync(Http.Cancel);
            var response = await request.WaitAsync(TimeSpan.FromSeconds(15), Http.Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("spam", (await response.Json()).GetProperty("predictions")[0].GetProperty("label").GetString());
            await stop.WaitAsync(TimeSpan.FromSeconds(15), Http.Cancel);
            Assert.True(host.Service.Draining);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.Client.GetAsync("/healthz", Http.Cancel));
        }
        finally
        {
            await host.App.DisposeAsync();
        }
    }
}
