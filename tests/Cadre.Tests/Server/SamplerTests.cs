using Cadre.Server;
using Cadre.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cadre.Tests.Server;

/// <summary>
/// The throughput sampler is a background service: one that fails stops the host by default, and <c>cadre serve</c>
/// then exited 0 as if asked to. A failing sample is logged once per distinct failure and sampling goes on; a stop
/// nobody asked for is told apart from Ctrl-C and SIGTERM.
/// </summary>
public sealed class SamplerTests
{
    [Fact]
    public async Task AFailingStatsReadNeverStopsTheHost()
    {
        await using var host = await ServerHost.StartAsync(configure: s => s with { SampleInterval = TimeSpan.FromMilliseconds(5) });
        var throughput = host.App.Services.GetRequiredService<Throughput>();
        host.Service.StatsFail = new ArgumentException("Destination array is not long enough"); // what a torn read threw
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (throughput.Failures < 5 && DateTime.UtcNow < deadline)
            await Task.Delay(10, Http.Cancel);
        Assert.True(throughput.Failures >= 5, $"the sampler sampled {throughput.Failures} times");
        Assert.False(host.App.Lifetime.ApplicationStopping.IsCancellationRequested, "the host is stopping");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await host.Client.GetAsync("/healthz", Http.Cancel)).StatusCode);

        host.Service.StatsFail = null; // sampling goes on: new samples arrive
        var before = throughput.History().LastOrDefault()?.At;
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (throughput.History().LastOrDefault()?.At == before && DateTime.UtcNow < deadline)
            await Task.Delay(10, Http.Cancel);
        Assert.NotEqual(before, throughput.History().LastOrDefault()?.At);
        Assert.Equal(BackgroundServiceExceptionBehavior.Ignore,
                     host.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostOptions>>().Value.BackgroundServiceExceptionBehavior);
    }

    [Fact]
    public void EachDistinctFailureIsLoggedOnce()
    {
        var service = new FakeSpecialistService();
        var log = new RecordingLogger();
        var throughput = new Throughput(service, new ServerState(), TimeProvider.System, TimeSpan.FromSeconds(1), log);
        service.StatsFail = new InvalidOperationException("first");
        for (var i = 0; i < 5; i++) throughput.Sample();
        service.StatsFail = new InvalidOperationException("second");
        for (var i = 0; i < 5; i++) throughput.Sample();
        Assert.Equal(10, throughput.Failures);
        Assert.Equal(["first", "second"], log.Errors.Select(e => e.Message));
    }

    [Fact]
    public async Task AStopNobodyAskedForIsToldApartFromARequestedOne()
    {
        await using (var host = await ServerHost.StartAsync())
        {
            var run = host.App.RunUntilStoppedAsync(CancellationToken.None);
            host.App.Lifetime.StopApplication(); // as a failing background service did
            Assert.False(await run.WaitAsync(TimeSpan.FromSeconds(30), Http.Cancel));
        }
        await using (var host = await ServerHost.StartAsync())
        {
            using var ask = new CancellationTokenSource();
            var run = host.App.RunUntilStoppedAsync(ask.Token);
            await ask.CancelAsync(); // the CLI's Ctrl-C token
            Assert.True(await run.WaitAsync(TimeSpan.FromSeconds(30), Http.Cancel));
        }
    }

    [Fact]
    public void TheSampleIntervalIsValidated()
    {
        Assert.Contains(new ServerSettings { SampleInterval = TimeSpan.Zero }.Validate(), e => e.Contains("sample interval"));
        Assert.Empty(new ServerSettings().Validate());
    }

    private sealed class RecordingLogger : ILogger<Throughput>
    {
        public List<Exception> Errors { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error && exception is not null)
                lock (Errors) Errors.Add(exception);
        }
    }
}
