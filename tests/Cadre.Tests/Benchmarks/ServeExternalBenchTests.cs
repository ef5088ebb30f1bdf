using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Benchmarks.Load;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Benchmarks;

/// <summary>
/// <c>cadre bench serve-external</c> end to end at a small size: it starts <c>cadre serve</c> as a process of its own,
/// drives it from <c>cadre bench load</c> (another process) and from wrk where installed, every request is answered
/// 200, and the server is stopped with SIGTERM (exit 0) and gone afterwards; a server that cannot start is one clear
/// error, not a hang.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServeExternalBenchTests
{
    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    [Fact]
    public void DrivesItsOwnServerProcessFromAnotherProcessAndStopsIt()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var json = Path.Combine(work.Path, "run.json");
        var results = Path.Combine(work.Path, "RESULTS.md");
        var r = cli.Run("bench", "serve-external", "--base", "tiny", "--counts", "2", "--seconds", "2", "--warmup", "1", "--rate", "10",
                        "--modes", "saturation,below", "--connections", "2", "--wrk-threads", "1", "--json", json, "--results", results);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);

        var run = JsonSerializer.Deserialize<ExternalServeRun>(File.ReadAllText(json), Options)!;
        var below = Assert.Single(run.Rows, row => row.Mode == ExternalServeReport.Below).Result;
        Assert.Equal((2, "open-loop", 10.0), (run.Rows.Single(row => row.Mode == ExternalServeReport.Below).Specialists, below.Tool, below.OfferedRate));
        Assert.Equal(20, below.Sent); // 10 requests/s for 2 measured seconds, the warm-up second not counted
        Assert.Equal(below.Sent, below.Ok);
        Assert.Empty(below.Errors);
        if (WrkLoad.Find() is null)
            Assert.Contains(run.Skipped, s => s.Contains("wrk is not installed", StringComparison.Ordinal));
        else
        {
            var saturation = Assert.Single(run.Rows, row => row.Mode == ExternalServeReport.Saturation).Result;
            Assert.True(saturation.Ok > 0 && saturation.Ok == saturation.Sent, $"wrk: {saturation.ToJson()}");
            Assert.Empty(saturation.Errors);
        }

        var server = Assert.Single(run.Servers);
        Assert.Equal(0, server.ExitCode); // drained on SIGTERM, not killed
        Assert.False(IsCadreRunning(server.Pid), $"cadre serve (pid {server.Pid}) outlived the benchmark");
        Assert.NotEqual("unknown", run.LoadAverageStart);
        var md = File.ReadAllText(results);
        Assert.Contains("<!-- bench:serve-external begin -->", md);
        Assert.Contains("| 2 | below | 10.0 |", md);
        Assert.Contains("Load average", md);
        Assert.False(Directory.Exists(Path.Combine(home.Path, "tmp")) && Directory.EnumerateFileSystemEntries(Path.Combine(home.Path, "tmp")).Any());
    }

    [Fact]
    public void AServerThatCannotStartIsOneClearError()
    {
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var r = cli.Run("bench", "serve-external", "--base", "tiny", "--counts", "1", "--seconds", "1", "--rate", "5", "--modes", "below",
                        "--serve-options", "--max-batch-rows 0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("cadre serve exited before listening", r.Error);
        Assert.Contains("max batch rows", r.Error); // the server's own message comes along
    }

    [Theory]
    [InlineData("--modes", "saturation,fastest", "unknown fastest")]
    [InlineData("--seconds", "0", "--seconds must be at least 1")]
    [InlineData("--fraction", "-1", "must be positive")]
    public void BadSettingsAreRefusedBeforeAnythingRuns(string option, string value, string message)
    {
        using var home = new TempDir();
        var r = new CliRunner(home.Path).Run("bench", "serve-external", option, value);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Error);
    }

    private static bool IsCadreRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited && p.ProcessName == "cadre";
        }
        catch (ArgumentException) { return false; } // no such process
    }
}
