using Cadre.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Cadre.Tests.Server;

/// <summary>
/// Writes dashboard-NAME.png into the test's output folder, or into the repository's docs/ when
/// <c>CADRE_SCREENSHOTS=docs</c> (so a plain test run leaves the tree clean). Tests never depend on it.
/// </summary>
internal static class DashboardScreenshots
{
    public static async Task Save(IPage page, string name)
    {
        try
        {
            var folder = Environment.GetEnvironmentVariable("CADRE_SCREENSHOTS") == "docs" && !name.StartsWith("fake-", StringComparison.Ordinal)
                ? Path.Combine(SharedData.RepositoryRoot, "docs") : Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"dashboard-{name}.png"), FullPage = true });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlaywrightException or InvalidOperationException)
        {
            TestContext.Current.SendDiagnosticMessage($"screenshot {name} not written: {e.Message}");
        }
    }
}
