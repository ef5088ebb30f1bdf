using Cadre.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Cadre.Tests.Server;

/// <summary>
/// The dashboard end to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright's bundled driver;
/// no browser download): the specialists table, a merged specialist's lineage, the routing playground and live
/// throughput, over a fake service whose answers the test controls (screenshots to the test output only; the ones in
/// docs come from <c>DashboardOverEngineTests</c>); skips when Chromium is absent.
/// </summary>
public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task DashboardShowsSpecialistsLineagePlaygroundAndThroughput()
    {
        if (!File.Exists(Chromium))
            Assert.Skip($"needs Chromium at {Chromium} (apt-get install -y chromium)");
        await using var host = await ServerHost.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ["--no-sandbox"], Headless = true });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(host.Address.ToString());

        // The table lists the fake's specialists, with the loaded one marked hot.
        var rows = page.Locator("#specialists tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(4);
        Assert.Equal(["spam", "era", "topics", "spam-era"], await page.Locator("#specialists tbody tr td:first-child").AllTextContentsAsync());
        await Assertions.Expect(page.Locator("#specialists tr[data-name=spam] .tag.hot")).ToHaveTextAsync("hot");
        await DashboardScreenshots.Save(page, "fake-overview");

        // A merged specialist's lineage names its inputs; its versions are listed.
        await page.Locator("#specialists tr[data-name=spam-era] button").ClickAsync();
        await Assertions.Expect(page.Locator("#lineage")).ToContainTextAsync("merged with ties");
        await Assertions.Expect(page.Locator("#lineage")).ToContainTextAsync("spam@2");
        await Assertions.Expect(page.Locator("#versions tbody tr")).ToHaveCountAsync(2);
        await DashboardScreenshots.Save(page, "fake-lineage");

        // The playground routes the text, shows the router's scores, the chosen specialist's answer and everyone's.
        await page.Locator("#playground-text").FillAsync("win a free cruise today");
        await page.Locator("#playground-run").ClickAsync();
        await Assertions.Expect(page.Locator("#scores .bar")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#scores .bar.chosen")).ToHaveAttributeAsync("data-specialist", "spam");
        await Assertions.Expect(page.Locator("#chosen")).ToHaveTextAsync("spam");
        await Assertions.Expect(page.Locator("#chosen-prediction")).ToHaveTextAsync("spam");
        await Assertions.Expect(page.Locator("#all-predictions tbody tr")).ToHaveCountAsync(5); // the merged one answers two tasks
        Assert.True(host.Service.Calls("PredictAsync") >= 4);

        // Throughput moves while requests arrive.
        using var load = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            while (!load.IsCancellationRequested)
            {
                await host.Client.PostJson("/v1/route", new { inputs = new[] { "x", "y" } });
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None);
        await Assertions.Expect(page.Locator("#rps")).Not.ToHaveTextAsync("0.0", new() { Timeout = 10_000 });
        await DashboardScreenshots.Save(page, "fake-playground");
        await load.CancelAsync();
        await traffic;
        Assert.True(double.Parse(await page.Locator("#rps").TextContentAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Empty(errors);
    }
}
