using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>cadre suite run end to end on the three tiny tasks: specialists, routers, multitask, abstention, latency, transfer.</summary>
[Collection(TorchCollection.Name)]
public sealed class SuiteRunTests
{
    [Fact]
    public void SuiteRunReportsEveryTableAndReusesSpecialists()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        RoutingTasks.Prepare(cli, work.Path, method: "lora", epochs: 2, trainRows: 60);
        File.WriteAllLines(work.File("oos.tsv"), new[] { "text\tlabel" }.Concat(RoutingTasks.OutOfScope(20, 3).Select(t => $"{t}\toos"))
            .Concat(RoutingTasks.Rows(RoutingTasks.All[0], 10, 4).Select(r => $"{r.Text}\tpets")));
        // A new task over the pets vocabulary with labels of its own: the pets specialist should rank first.
        RoutingTasks.WriteTsv(work.File("new.tsv"), RoutingTasks.Rows(RoutingTasks.All[0], 60, 9).Select((r, i) => (r.Text, i % 3 == 0 ? "x" : "y")));
        File.WriteAllText(work.File("suite.yaml"), """
            suite:
              name: tiny
              specialists: cadre.yaml
              test_rows: 20
              latency_rows: 5
              merges: [ties]
              abstention: {path: oos.tsv, text: text, label: label, out_of_scope: oos}
              transfer:
                - {name: pets-new, path: new.tsv, text: text, label: label, shots: 16, rows: 30, expect: pets}
            """);
        var results = work.File("RESULTS.md");
        var run = cli.Run("suite", "run", work.File("suite.yaml"), "--results", results);
        Assert.True(run.ExitCode == 0, run.Error + run.Out);
        var md = File.ReadAllText(results);
        Assert.Contains("<!-- bench:suite:tiny begin -->", md);
        foreach (var part in new[] { "| pets | 20 |", "| **mean** |", "routed (prototype)", "routed (learned)", "multitask (task given)", "OOS AUROC",
                                     "ms per input", "| pets-new | 16 |", "Merge `ties` not run", "routing accuracy ≥ 97 %" })
            Assert.Contains(part, md);
        Assert.Contains("training", run.Error);

        var again = cli.Run("suite", "run", work.File("suite.yaml"));
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("reusing the stored one", again.Error);
        Assert.DoesNotContain("specialist pets: training", again.Error);
    }
}
