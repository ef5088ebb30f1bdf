using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Cadre.Tests.Server;

namespace Cadre.Tests.Serving;

/// <summary>
/// <c>cadre serve</c> as users run it: its own process on a free port, answering from a trained home, and SIGTERM
/// drains: a request in flight when the signal arrives is still answered, then the process exits 0.
/// </summary>
public sealed partial class ServeProcessTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string Cadre = Path.Combine(AppContext.BaseDirectory, "cadre");

    [GeneratedRegex(@"listening on (http://[^ ]+)")]
    private static partial Regex Listening();

    [Fact]
    public async Task ServesFromItsOwnProcessAndDrainsOnSigterm()
    {
        var info = new ProcessStartInfo(Cadre) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // A long batching window keeps the last request in the engine's queue while SIGTERM arrives.
        foreach (var a in new[] { "serve", "--port", "0", "--batch-wait-ms", "800" }) info.ArgumentList.Add(a);
        info.Environment["CADRE_HOME"] = served.Home;
        using var process = Process.Start(info)!;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Http.Cancel);
        limit.CancelAfter(TimeSpan.FromSeconds(120)); // a hung server fails the test instead of holding the run
        var error = process.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            string? line;
            Uri? address = null;
            while (address is null && (line = await process.StandardOutput.ReadLineAsync(limit.Token)) is not null)
                if (Listening().Match(line) is { Success: true } m) address = new Uri(m.Groups[1].Value);
            if (address is null) Assert.Fail("cadre serve printed no address: " + await error);
            var output = process.StandardOutput.ReadToEndAsync(limit.Token); // keep the pipe drained: a full pipe blocks the server's log
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            Assert.True((await client.GetAsync("/healthz", limit.Token)).IsSuccessStatusCode);
            var first = await (await client.PostAsJsonAsync("/v1/specialists/pets-lora/predict", new { inputs = new[] { "the cat" } }, limit.Token)).Json();
            Assert.Equal(1, first.GetProperty("predictions").GetArrayLength());

            var inFlight = client.PostAsJsonAsync("/v1/specialists/colors-lora8/predict", new { inputs = new[] { "red" } }, limit.Token);
            await Task.Delay(200, limit.Token); // the request is queued, waiting out the batching window
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await term.WaitForExitAsync(limit.Token);
            var answer = await inFlight;
            Assert.True(answer.IsSuccessStatusCode, $"in-flight request answered {(int)answer.StatusCode}");
            Assert.True(process.WaitForExit(30_000), "cadre serve did not exit after SIGTERM");
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await error}");
            Assert.Contains("cadre serve", await output + await error);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
