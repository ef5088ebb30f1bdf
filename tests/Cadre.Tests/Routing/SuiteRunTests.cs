using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>cadre suite run end to end on the three tiny tasks: specialists, routers, multitask, abstention, latency, transfer.</summary>
[Collection(TorchCollection.Name)]
public sealed class SuiteRunTests(TrainedTasks trained) : IClassFixture<TrainedTasks>
{
    [Fact]
    public void SuiteRunReportsEveryTableAndReusesWhatMatches()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        var spec = work.File("cadre.yaml");
        var text = File.ReadAllText(spec);
        var pace = text.LastIndexOf("epochs: 10", StringComparison.Ordinal); // pace is last: its spec changes, so it alone retrains
        File.WriteAllText(spec, text[..pace] + "epochs: 3" + text[(pace + "epochs: 10".Length)..]);
        File.WriteAllLines(work.File("oos.tsv"), new[] { "text\tlabel" }.Concat(RoutingTasks.OutOfScope(20, 3).Select(t => $"{t}\toos"))
            .Concat(RoutingTasks.Rows(RoutingTasks.All[0], 10, 4).Select(r => $"{r.Text}\tpets")));
        // A new task over the pets vocabulary with label names of its own.
        RoutingTasks.WriteTsv(work.File("new.tsv"), RoutingTasks.Rows(RoutingTasks.All[0], 60, 9).Select(r => (r.Text, r.Label == "cat" ? "x" : "y")));
        File.WriteAllText(work.File("suite.yaml"), """
            suite:
              name: tiny
              specialists: cadre.yaml
              test_rows: 20
              latency_rows: 3
              merges: [ties]
              abstention: {path: oos.tsv, text: text, label: label, out_of_scope: oos}
              transfer:
                - {name: pets-new, path: new.tsv, text: text, label: label, shots: 16, rows: 30, expect: pets}
            """);
        var results = work.File("RESULTS.md");
        var run = cli.Run("suite", "run", work.File("suite.yaml"), "--results", results);
        Assert.True(run.ExitCode == 0, run.Error + run.Out);
        Assert.Contains("specialist pets: reusing the stored one", run.Error);
        Assert.Contains("specialist pace: training", run.Error);
        // The multitask baseline sees exactly the specialists' examples × epochs: 72 fitted rows each, 10 + 10 + 3 epochs.
        Assert.True(run.Error.Contains("1,656/1,656 examples"), run.Error);
        Assert.DoesNotContain("1,657", run.Error);
        var md = File.ReadAllText(results);
        Assert.Contains("<!-- bench:suite:tiny begin -->", md);
        foreach (var part in new[] { "| pets | 20 |", "| **mean** |", "routed (prototype)", "routed (learned)", "multitask (task given)", "OOS AUROC",
                                     "ms per input", "| pets-new | 16 | 30 | pets | pets, ", "| merge ties |", "routing accuracy ≥ 97 %" })
            Assert.Contains(part, md);

        File.WriteAllText(work.File("suite.yaml"), File.ReadAllText(work.File("suite.yaml")).Replace("merges: [ties]", "routers: [prototype]"));
        var again = cli.Run("suite", "run", work.File("suite.yaml"));
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.DoesNotContain(": training", again.Error);
        Assert.Contains("multitask: reusing", again.Error);
        Assert.DoesNotContain("routed (learned)", again.Out);
    }

    [Fact]
    public void BadSuiteFilesAreReportedWholeWithPaths()
    {
        using var work = new TempDir();
        File.WriteAllText(work.File("suite.yaml"), """
            suite:
              test_rows: 0
              routers: [nearest]
              abstention: {path: missing.jsonl}
              colour: red
            """);
        var run = new Cli.CliRunner(work.Path).Run("suite", "run", work.File("suite.yaml"));
        Assert.Equal(1, run.ExitCode);
        foreach (var part in new[] { "suite.test_rows", "suite.routers: 'nearest'", "suite.abstention.path: file not found", "suite.colour: unknown key", "suite.specialists: required" })
            Assert.Contains(part, run.Error);
    }
}
