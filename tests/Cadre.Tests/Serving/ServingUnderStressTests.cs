using System.Net;
using System.Net.Http.Json;
using Cadre.Server;
using Cadre.Server.Hosting;
using Cadre.Serving;
using Cadre.Specialists;
using Cadre.Tests.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cadre.Tests.Serving;

/// <summary>
/// The real engine under load: a burst of more rows than can be served before the deadline is refused up front with
/// 429 (never accepted to answer 504), refused inputs are not counted as served, and first requests to many
/// specialists at once while the sampler reads the counters every millisecond leave the server running.
/// </summary>
[Collection(Infrastructure.TorchCollection.Name)] // alone: the burst is sized from a rate measured with nothing else running
public sealed class ServingUnderStressTests(ServedHome served) : IClassFixture<ServedHome>
{
    [Fact]
    public async Task ABurstBeyondWhatTheDeadlineAllowsGets429sAndNo504s()
    {
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions
        {
            RequestTimeout = TimeSpan.FromSeconds(2), QueueCapacity = 1_000_000, MaxInputs = 256, MaxBatchWait = TimeSpan.FromMilliseconds(2),
        });
        var texts = Enumerable.Range(0, 256).Select(i => $"the cat number {i} sat on the mat").ToArray();
        // Measure the service rate on a small backlog of full batches (as the burst will be served).
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => engine.PredictAsync("pets-lora", texts, null, CancellationToken.None)));
        var rate = engine.ServiceRates.Single() ?? throw new InvalidOperationException("no rate after three requests");
        // Four times what the deadline allows: most must be refused, none may time out.
        var burst = (int)Math.Clamp(Math.Ceiling(4 * rate * 2 / texts.Length), 8, 2000);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, burst).Select(async _ =>
        {
            try
            {
                await engine.PredictAsync("pets-lora", texts, null, CancellationToken.None);
                return "served";
            }
            catch (ServingException e)
            {
                Assert.True(e.Kind != ServingErrorKind.Overloaded || e.RetryAfter >= TimeSpan.FromSeconds(1));
                return e.Kind.ToString();
            }
        }));
        var counts = outcomes.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var summary = $"{burst} requests at {rate:0} rows/s: " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"));
        Assert.True(counts.GetValueOrDefault(nameof(ServingErrorKind.Overloaded)) > 0, summary);
        // The rate is an estimate: a slower moment of the machine may still expire a few admitted requests. Without
        // admission by deadline about three in four of this burst expire, so one in twenty still tells the two apart.
        Assert.True(counts.GetValueOrDefault(nameof(ServingErrorKind.Timeout)) <= burst / 20, summary);
        Assert.True(counts.GetValueOrDefault("served") > 0, summary);
        Assert.Equal(burst, counts.GetValueOrDefault("served") + counts.GetValueOrDefault(nameof(ServingErrorKind.Overloaded))
                            + counts.GetValueOrDefault(nameof(ServingErrorKind.Timeout)));
        // Only served inputs count: the three measuring requests and the burst's served ones.
        var status = engine.Status("pets-lora")!;
        Assert.Equal((3 + counts["served"]) * texts.Length, status.Inputs);
        Assert.Equal(3 + counts["served"], status.Requests);
        Assert.Equal(status.Inputs, engine.Stats().TopSpecialists.Single(t => t.Name == "pets-lora").Inputs);
    }

    [Fact]
    public async Task RefusedRequestsAreNotCountedAsServed()
    {
        // A long batching window holds the first request in the queue, so the second does not fit.
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions
        {
            MaxBatchWait = TimeSpan.FromMilliseconds(800), MaxBatchRows = 8, QueueCapacity = 8, MaxInputs = 8,
        });
        await engine.LoadAsync("colors-prompt", null, CancellationToken.None);
        var first = engine.PredictAsync("colors-prompt", ["a", "b", "c"], null, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ServingException>(() => engine.PredictAsync("colors-prompt", ["d", "e", "f", "g", "h", "i"], null, CancellationToken.None));
        Assert.Equal(ServingErrorKind.Overloaded, refused.Kind);
        await first;
        Assert.Equal(3, engine.Status("colors-prompt")!.Inputs);
        Assert.Equal(1, engine.Status("colors-prompt")!.Requests);
        Assert.Equal(3, engine.Stats().TopSpecialists.Single(t => t.Name == "colors-prompt").Inputs);
    }

    [Fact]
    public async Task FirstRequestsToManySpecialistsAtOnceLeaveTheServerRunning()
    {
        using var home = ServedHomes.Copy(served.Home);
        var cli = new Tests.Cli.CliRunner(home.Path);
        var folder = new SpecialistCatalog(home.Path).FolderOf("pets-lora");
        var names = new List<string>(ServedHome.Shared);
        for (var i = 0; i < 24; i++)
        {
            var r = cli.Run("specialist", "import", folder, "--name", $"pets-copy-{i}");
            Assert.True(r.ExitCode == 0, r.Error);
            names.Add($"pets-copy-{i}");
        }
        await using var engine = new SpecialistEngine(home.Path, new ServingOptions { MaxBatchWait = TimeSpan.FromMilliseconds(2) });
        var app = CadreServer.Build(engine, new ServerSettings
        {
            Host = "127.0.0.1", Port = 0, LogLevel = LogLevel.None, SampleInterval = TimeSpan.FromMilliseconds(1),
        });
        await app.StartAsync(Http.Cancel);
        try
        {
            using var client = new HttpClient { BaseAddress = app.Address(), Timeout = TimeSpan.FromSeconds(120) };
            using var stop = new CancellationTokenSource();
            var reads = 0;
            var reader = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested) { engine.Stats(); reads++; }
            }, Http.Cancel);
            var answers = await Task.WhenAll(names.Select(n => client.PostAsJsonAsync($"/v1/specialists/{n}/predict", new { inputs = new[] { "the cat" } }, Http.Cancel)));
            await stop.CancelAsync();
            await reader; // rethrows what Stats threw
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
            Assert.True(reads > 0);
            Assert.Equal(0, app.Services.GetRequiredService<Throughput>().Failures);
            Assert.False(app.Lifetime.ApplicationStopping.IsCancellationRequested, "the host is stopping");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Http.Cancel)).StatusCode);
            Assert.Equal(names.Count, engine.Stats().HotSpecialists);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
