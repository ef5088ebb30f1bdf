using Cadre.Server;
using Cadre.Serving;
using Cadre.Tests.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Cadre.Tests.Serving;

/// <summary>
/// The dashboard over the real engine and trained specialists, in headless Chromium: every stored specialist is
/// listed, a merge shows its inputs at their versions, the playground routes a text and shows every specialist's
/// answer, and throughput moves under load. These are the screenshots in docs (<c>CADRE_SCREENSHOTS=docs</c>).
/// </summary>
public sealed class DashboardOverEngineTests(ServedHome served) : IClassFixture<ServedHome>
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task DashboardShowsTheHomesSpecialistsAndAnswersThePlayground()
    {
        if (!File.Exists(Chromium))
            Assert.Skip($"needs Chromium at {Chromium} (apt-get install -y chromium)");
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions());
        var app = CadreServer.Build(engine, new ServerSettings { Host = "127.0.0.1", Port = 0, LogLevel = LogLevel.None });
        await app.StartAsync(Http.Cancel);
        try
        {
            using var client = new HttpClient { BaseAddress = app.Address() };
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ["--no-sandbox"], Headless = true });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            await page.GotoAsync(app.Address().ToString());

            var names = engine.List().Select(s => s.Name).ToList();
            await Assertions.Expect(page.Locator("#specialists tbody tr")).ToHaveCountAsync(names.Count);
            Assert.Equal(names, await page.Locator("#specialists tbody tr td:first-child").AllTextContentsAsync());

            await page.Locator("#specialists tr[data-name=both-merged] button").ClickAsync();
            await Assertions.Expect(page.Locator("#lineage")).ToContainTextAsync("merged with linear");
            await Assertions.Expect(page.Locator("#lineage")).ToContainTextAsync("pets-lora@1");
            await Assertions.Expect(page.Locator("#versions tbody tr")).ToHaveCountAsync(1);
            await DashboardScreenshots.Save(page, "lineage");

            var routed = engine.List().Count(s => s.Name != "both-merged"); // the default router holds every trained specialist
            await page.Locator("#playground-text").FillAsync("the big dog sat on the mat");
            await page.Locator("#playground-run").ClickAsync();
            await Assertions.Expect(page.Locator("#scores .bar")).ToHaveCountAsync(routed);
            await Assertions.Expect(page.Locator("#chosen")).Not.ToBeEmptyAsync();
            await Assertions.Expect(page.Locator("#all-predictions tbody tr")).ToHaveCountAsync(names.Count + 1); // the merge answers two tasks

            using var load = new CancellationTokenSource();
            var traffic = Task.Run(async () =>
            {
                while (!load.IsCancellationRequested)
                    await client.PostJson("/v1/specialists/pets-lora/predict", new { inputs = new[] { "a cat", "red" } });
            }, CancellationToken.None);
            await Assertions.Expect(page.Locator("#rps")).Not.ToHaveTextAsync("0.0", new() { Timeout = 10_000 });
            await DashboardScreenshots.Save(page, "playground");
            await load.CancelAsync();
            await traffic;
            await page.Locator("#specialists").ScrollIntoViewIfNeededAsync();
            await DashboardScreenshots.Save(page, "overview");
            Assert.Empty(errors);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
