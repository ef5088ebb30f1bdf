using Cadre.Serving;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Serving;

/// <summary>The pool's budget, lazy loading and hot reload, and the engine's refusals (404, 413, 429, 504, 503).</summary>
public sealed class PoolAndLimitsTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string[] Texts = ["the cat", "blue"];

    [Fact]
    public async Task ColdSpecialistsLoadLazilyAndTheLeastRecentlyUsedIsEvictedBeyondTheBudget()
    {
        // Measure one LoRA entry, then allow room for about two.
        var bytes = new Dictionary<string, long>();
        await using (var probe = new SpecialistEngine(served.Home, new ServingOptions()))
            foreach (var name in new[] { "pets-lora", "pets-ia3", "colors-lora8" })
                bytes[name] = (await probe.LoadAsync(name, null, CancellationToken.None)).AdapterBytes;
        Assert.All(bytes.Values, b => Assert.True(b > 0));
        // Room for any two of the three, not for all three.
        var budget = bytes.Values.Sum() - bytes.Values.Min() / 2;
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions { PoolBudgetBytes = budget, MaxBatchWait = TimeSpan.Zero });
        Assert.All(engine.List(), s => Assert.False(s.Hot));
        await engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None);
        await engine.PredictAsync("pets-ia3", Texts, null, CancellationToken.None);
        await engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None); // pets-ia3 is now the least recent
        await engine.PredictAsync("colors-lora8", Texts, null, CancellationToken.None);
        var hot = engine.List().Where(s => s.Hot).Select(s => s.Name).ToHashSet();
        var stats = engine.Stats();
        Assert.True(stats.PoolBytes <= stats.PoolBudgetBytes, $"{stats.PoolBytes} bytes over the budget {stats.PoolBudgetBytes}");
        Assert.Contains("colors-lora8", hot);
        Assert.DoesNotContain("pets-ia3", hot);
        Assert.True(stats.Evictions >= 1);
        // An evicted specialist comes back on its next request, with the same answer.
        var again = await engine.PredictAsync("pets-ia3", Texts, null, CancellationToken.None);
        using var model = SpecialistModel.Load(served.Home, "pets-ia3");
        Assert.Equal(model.Predict(Texts).Select(p => p.Label), again[0].Predictions.Select(p => p.Label));
    }

    [Fact]
    public async Task HotReloadSwapsVersionsWithoutFailingARequest()
    {
        var (home, cli) = CopyHome();
        using var _ = home;
        // Version 2 of pets-lora: the same files under a new message (another commit), then back to version 1.
        var retag = cli.Run("specialist", "import", new SpecialistCatalog(home.Path).FolderOf("colors-lora8"), "--name", "pets-lora", "--new-version");
        Assert.True(retag.ExitCode == 0, retag.Error);
        await using var engine = new SpecialistEngine(home.Path, new ServingOptions { MaxBatchWait = TimeSpan.FromMilliseconds(1) });
        Assert.Equal(1, (await engine.LoadAsync("pets-lora", "1", CancellationToken.None)).LoadedVersion);
        using var stop = new CancellationTokenSource();
        var errors = 0;
        var answered = 0;
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None); Interlocked.Increment(ref answered); }
                catch { Interlocked.Increment(ref errors); }
            }
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < 6; i++)
            await engine.LoadAsync("pets-lora", i % 2 == 0 ? "2" : "1", CancellationToken.None);
        var status = await engine.LoadAsync("pets-lora", "2", CancellationToken.None);
        await stop.CancelAsync();
        await load;
        Assert.Equal(0, errors);
        Assert.True(answered > 0);
        Assert.Equal(2, status.LoadedVersion);
        var tasks = await engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None);
        Assert.Equal(new SpecialistCatalog(home.Path).Get("colors-lora8").Labels, tasks[0].Task.Labels); // version 2 holds the colors files
    }

    private (TempDir Home, Tests.Cli.CliRunner Cli) CopyHome()
    {
        var home = new TempDir();
        foreach (var dir in Directory.EnumerateDirectories(served.Home, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(home.Path, Path.GetRelativePath(served.Home, dir)));
        foreach (var file in Directory.EnumerateFiles(served.Home, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(home.Path, Path.GetRelativePath(served.Home, file)));
        return (home, new Tests.Cli.CliRunner(home.Path));
    }

    [Fact]
    public async Task BadRequestsGetTheirKinds()
    {
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions { MaxInputs = 3, MaxInputChars = 50 });
        async Task<ServingErrorKind> Kind(Func<Task> call) => (await Assert.ThrowsAsync<ServingException>(call)).Kind;
        Assert.Equal(ServingErrorKind.NotFound, await Kind(() => engine.PredictAsync("nobody", Texts, null, CancellationToken.None)));
        Assert.Equal(ServingErrorKind.NotFound, await Kind(() => engine.LoadAsync("pets-lora", "99", CancellationToken.None)));
        Assert.Equal(ServingErrorKind.NotFound, Assert.Throws<ServingException>(() => engine.Describe("nobody")).Kind);
        Assert.Equal(ServingErrorKind.TooLarge, await Kind(() => engine.PredictAsync("pets-lora", ["a", "b", "c", "d"], null, CancellationToken.None)));
        Assert.Equal(ServingErrorKind.TooLarge, await Kind(() => engine.PredictAsync("pets-lora", [new string('x', 51)], null, CancellationToken.None)));
        Assert.Equal(ServingErrorKind.BadRequest, await Kind(() => engine.PredictAsync("pets-lora", [], null, CancellationToken.None)));
        Assert.Equal(ServingErrorKind.BadRequest, await Kind(() => engine.PredictAsync("pets-lora", Texts, "nope", CancellationToken.None)));
        Assert.Equal(ServingErrorKind.NotFound, await Kind(() => engine.RouteAsync(Texts, "nope", CancellationToken.None)));
    }

    [Fact]
    public async Task AFullQueueAnswersOverloadedAndCancelledRequestsCostNoPass()
    {
        // A long batching window holds the requests in the queue (a batch fills only at 8 rows, which they never reach).
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions
        {
            MaxBatchWait = TimeSpan.FromMilliseconds(800), MaxBatchRows = 8, QueueCapacity = 8, MaxInputs = 8,
        });
        await engine.LoadAsync("pets-lora", null, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var first = engine.PredictAsync("pets-lora", ["a", "b"], null, cancel.Token);
        var second = engine.PredictAsync("pets-lora", ["c", "d"], null, CancellationToken.None);
        var overload = await Assert.ThrowsAsync<ServingException>(() => engine.PredictAsync("pets-lora", ["e", "f", "g", "h", "i"], null, CancellationToken.None));
        Assert.Equal(ServingErrorKind.Overloaded, overload.Kind);
        Assert.NotNull(overload.RetryAfter);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var answer = await second;
        Assert.Equal(2, answer[0].Predictions.Count);
        var stats = engine.Stats();
        Assert.Equal(2, stats.Rows); // the cancelled request's two rows never reached the base
        Assert.Equal(0, stats.QueueDepth);
    }

    [Fact]
    public async Task ARequestPastItsTimeoutAnswersTimeoutAndDrainingRefusesNewWork()
    {
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions
        {
            MaxBatchWait = TimeSpan.FromMilliseconds(900), RequestTimeout = TimeSpan.FromMilliseconds(300),
        });
        await engine.LoadAsync("pets-lora", null, CancellationToken.None);
        var timeout = await Assert.ThrowsAsync<ServingException>(() => engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None));
        Assert.Equal(ServingErrorKind.Timeout, timeout.Kind);
        await engine.DrainAsync(CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ServingException>(() => engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None));
        Assert.Equal(ServingErrorKind.Unavailable, refused.Kind);
    }

    [Fact]
    public async Task RequestsDoNotLeakTensors()
    {
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions { MaxBatchWait = TimeSpan.Zero });
        await engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None);
        await engine.PredictAsync("colors-prompt", Texts, null, CancellationToken.None);
        await engine.RouteAsync(Texts, null, CancellationToken.None);
        var before = engine.WorkerLiveTensors;
        for (var i = 0; i < 20; i++)
        {
            await Task.WhenAll(engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None),
                               engine.PredictAsync("colors-prompt", Texts, null, CancellationToken.None),
                               engine.RouteAsync(Texts, null, CancellationToken.None));
        }
        var after = engine.WorkerLiveTensors;
        Assert.Equal(before, after);
    }
}
