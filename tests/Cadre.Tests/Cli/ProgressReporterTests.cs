using Cadre.Cli;
using Cadre.Tests.Infrastructure;
using Cadre.Util;

namespace Cadre.Tests.Cli;

/// <summary>The progress display: its rate and time-left arithmetic on an injected clock, and the lines it writes.</summary>
public sealed class ProgressReporterTests
{
    private sealed class Clock
    {
        public TimeSpan Now { get; set; }
        public TimeSpan Read() => Now;
    }

    [Fact]
    public void RateAndTimeLeftAreTheAverageSinceTheFirstReport()
    {
        var clock = new Clock();
        var meter = new ProgressMeter(clock.Read);
        var start = meter.Observe(0, 100);
        Assert.Null(start.Rate);
        Assert.Null(start.Left);
        clock.Now = TimeSpan.FromSeconds(10);
        var quarter = meter.Observe(25, 100);
        Assert.Equal(2.5, quarter.Rate);
        Assert.Equal(TimeSpan.FromSeconds(30), quarter.Left);
        Assert.Equal(TimeSpan.FromSeconds(4), quarter.LeftFor(10)); // a part of 10 more units
        clock.Now = TimeSpan.FromSeconds(40); // a slow stretch counts: 50 in 40 s
        var half = meter.Observe(50, 100);
        Assert.Equal(1.25, half.Rate);
        Assert.Equal(TimeSpan.FromSeconds(40), half.Left);
        Assert.Equal(TimeSpan.FromSeconds(40), half.Elapsed);
    }

    [Fact]
    public void PlainLinesComeAtTheStartAtMostEveryFiveSecondsAndAtTheEnd()
    {
        var clock = new Clock();
        var error = new StringWriter();
        var reporter = new ProgressReporter(error, interactive: false, clock.Read);
        reporter.Report(new ProgressUpdate("embed", 0, 100, "rows"));
        for (var i = 1; i <= 99; i++)
        {
            clock.Now = TimeSpan.FromSeconds(i * 0.1); // 10 rows/s
            reporter.Report(new ProgressUpdate("embed", i, 100, "rows"));
        }
        clock.Now = TimeSpan.FromSeconds(10);
        reporter.Report(new ProgressUpdate("embed", 100, 100, "rows"));
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["embed: 0/100 rows (0%), estimating time left",
                      "embed: 50/100 rows (50%), 10 rows/s, 0:05 left",
                      "embed: 100/100 rows in 0:10, 10 rows/s"], lines);
        Assert.DoesNotContain('\r', error.ToString());
    }

    [Fact]
    public void ATerminalGetsOneLineRewrittenInPlaceWithTheTimeLeftOfThePartAndTheWhole()
    {
        var clock = new Clock();
        var error = new StringWriter();
        var reporter = new ProgressReporter(error, interactive: true, clock.Read);
        ProgressUpdate Step(long done) => new("train", done, 400, "examples")
        {
            Detail = $"epoch {done / 100 + 1}/4", Part = "epoch", PartDone = done % 100, PartTotal = 100,
        };
        reporter.Report(Step(0));
        clock.Now = TimeSpan.FromSeconds(12.5);
        reporter.Report(Step(125)); // 10 examples/s: 75 of the epoch left, 275 in all
        var text = error.ToString();
        Assert.Equal(2, text.Count(c => c == '\r'));
        Assert.DoesNotContain('\n', text);
        Assert.EndsWith("\rtrain (epoch 2/4): 125/400 examples (31%), 10 examples/s, epoch 0:08 left, 0:28 left in all", text);
        reporter.Clear();
        Assert.EndsWith("\r", error.ToString());
        clock.Now = TimeSpan.FromSeconds(40);
        reporter.Report(new ProgressUpdate("train", 400, 400, "examples"));
        Assert.EndsWith("\rtrain: 400/400 examples in 0:40, 10 examples/s\n", error.ToString()); // a finished stage keeps its line
    }

    [Fact]
    public void BytesAreShownInMebibytes()
    {
        var line = ProgressReporter.Format(new ProgressUpdate("store", 3 << 20, 12 << 20, "bytes"),
                                           new ProgressEstimate(TimeSpan.FromSeconds(2), 1.5 * (1 << 20), TimeSpan.FromSeconds(6)));
        Assert.Equal("store: 3.0/12.0 MiB (25%), 1.5 MiB/s, 0:06 left", line);
    }
}

/// <summary>Long steps of real commands report progress on stderr.</summary>
[Collection(TorchCollection.Name)]
public sealed class ProgressCommandTests
{
    [Fact]
    public void DataCheckAndTrainingReportProgressOnStderr()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, epochs: 2);
        var check = cli.Run("data", "check", Path.Combine(work.Path, "train.tsv"), "--base", "tiny");
        Assert.True(check.ExitCode == 0, check.Error);
        Assert.Contains("embed: 0/120 rows (0%)", check.Error);
        Assert.Contains("embed: 120/120 rows in ", check.Error);
        Assert.DoesNotContain("embed: ", check.Out); // results only on stdout

        var train = cli.Run("train", spec);
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("train (epoch 1/2, loss ", train.Error);
        Assert.Matches(@"train \(epoch 2/2, loss [0-9.]+\): (\d+)/\1 examples in \d+:\d\d", train.Error);
    }
}
