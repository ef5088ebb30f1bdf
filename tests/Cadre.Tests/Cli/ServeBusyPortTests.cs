using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>
/// <c>cadre serve</c> on a port that something else holds, as its own process (the framework's loggers write to the
/// real console, which an in-process run would not see): one error line on stderr, nothing else, and exit 1.
/// </summary>
public sealed class ServeBusyPortTests
{
    private static readonly string Cadre = Path.Combine(AppContext.BaseDirectory, "cadre");

    [Fact]
    public async Task ABusyPortIsOneErrorLineAndANonZeroExit()
    {
        using var home = new TempDir();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var info = new ProcessStartInfo(Cadre) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }) info.ArgumentList.Add(a);
        info.Environment["CADRE_HOME"] = home.Path;
        using var process = Process.Start(info)!;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(limit.Token);
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            await process.WaitForExitAsync(limit.Token);
            var lines = (await error).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, $"stderr has {lines.Length} lines:\n{await error}");
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains($"port {port} is already in use", lines[0]);
            Assert.Equal("", await output);
            Assert.NotEqual(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
