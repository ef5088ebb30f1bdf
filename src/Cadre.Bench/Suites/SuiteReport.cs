using System.Globalization;
using System.Text;
using Cadre.Benchmarks;

namespace Cadre.Suites;

/// <summary>The suite's tables for docs/RESULTS.md (section <c>suite:NAME</c>), with the targets of the routing issue.</summary>
public static class SuiteReport
{
    private static string F(double v, string format = "F3") => double.IsNaN(v) ? "—" : v.ToString(format, CultureInfo.InvariantCulture);

    private static string Pct(double v) => double.IsNaN(v) ? "—" : (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";

    public static string Markdown(SuiteResult r, string commandLine)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.AppendLine($"## Suite `{r.Suite}`: routed specialists, oracle, multitask").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine(string.Create(ci, $"Base `{r.Base}`; {r.Tasks.Count} tasks; {r.UnionRows:N0} test rows in the shuffled union; the specialists trained for {r.SpecialistSeconds:F0} s in all (as recorded), the multitask baseline for {F(r.MultitaskSeconds, "F0")} s on the same budget of {r.Budget:N0} examples.")).AppendLine();

        var routers = r.Routers.Select(x => x.Method).ToList();
        var merges = r.Tasks.SelectMany(t => t.Merges.Keys).Distinct().ToList();
        sb.AppendLine("Accuracy per task (routed: the router's choice, then that specialist; a row sent to another task's specialist counts as wrong):").AppendLine();
        sb.AppendLine("| task | test rows | oracle | " + string.Join(" | ", routers.Select(m => $"routed ({m})")) + " | multitask (task given) | multitask (routed, " + routers[0] + ")"
                      + string.Concat(merges.Select(m => $" | merge {m}")) + " |");
        sb.AppendLine("|---|---:|---:|" + string.Concat(routers.Select(_ => "---:|")) + "---:|---:|" + string.Concat(merges.Select(_ => "---:|")));
        foreach (var t in r.Tasks)
            sb.AppendLine($"| {t.Task} | {t.TestRows:N0}{(t.TestSource == "test file" ? "" : "*")} | {F(t.Oracle)} | " + string.Join(" | ", routers.Select(m => F(t.Routed[m])))
                          + $" | {F(t.Multitask)} | {F(t.MultitaskRouted)}" + string.Concat(merges.Select(m => $" | {F(t.Merges[m])}")) + " |");
        double Mean(Func<TaskResult, double> f) => r.Tasks.Average(f);
        sb.AppendLine($"| **mean** | | **{F(Mean(t => t.Oracle))}** | " + string.Join(" | ", routers.Select(m => $"**{F(Mean(t => t.Routed[m]))}**"))
                      + $" | **{F(Mean(t => t.Multitask))}** | **{F(Mean(t => t.MultitaskRouted))}**" + string.Concat(merges.Select(m => $" | **{F(Mean(t => t.Merges[m]))}**")) + " |");
        if (r.Tasks.Any(t => t.TestSource != "test file"))
            sb.AppendLine().AppendLine("\\* no test file: training rows outside the specialist's training sample, texts equal to a training text removed.");
        foreach (var (m, why) in r.MergesNotRun)
            sb.AppendLine().AppendLine($"Merge `{m}` not run: {why}.");
        sb.AppendLine();

        sb.AppendLine("Routing on the shuffled union, calibration, and abstention (in scope: the union; out of scope: the abstention file's out-of-scope queries):").AppendLine();
        sb.AppendLine("| router | routing accuracy | end-to-end | ECE held-out (T = 1 → fitted) | ECE on the union | temperature | abstains below | in-scope abstained | accuracy when answering | OOS AUROC | OOS abstained | OOS rows |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
        foreach (var x in r.Routers)
            sb.AppendLine(string.Create(ci, $"| {x.Method} | {Pct(x.RoutingAccuracy)} | {F(x.EndToEnd)} | {F(x.HeldOutEceBefore)} → {F(x.HeldOutEce)} | {F(x.UnionEce)} | {x.Temperature:G3} | {x.Signal} {F(x.Threshold)} | {Pct(x.InScopeAbstained)} | {F(x.AnsweredAccuracy)} | {F(x.OosAuroc)} | {Pct(x.OosAbstained)} | {x.OosRows:N0} |"));
        sb.AppendLine().AppendLine("Routing accuracy per task (share of the task's test rows sent to its own specialist):").AppendLine();
        sb.AppendLine("| task | " + string.Join(" | ", routers) + " |").AppendLine("|---|" + string.Concat(routers.Select(_ => "---:|")));
        foreach (var t in r.Tasks)
            sb.AppendLine($"| {t.Task} | " + string.Join(" | ", routers.Select(m => Pct(t.RoutingAccuracy[m]))) + " |");
        sb.AppendLine();

        sb.AppendLine("Parameters and time per input (one input at a time after 5 warm-ups; batched: the whole union, grouped by specialist):").AppendLine();
        sb.AppendLine("| system | parameters | ms per input | inputs/s batched | note |").AppendLine("|---|---:|---:|---:|---|");
        foreach (var c in r.Costs)
            sb.AppendLine(string.Create(ci, $"| {c.System} | {c.Parameters:N0} | {F(c.MillisecondsPerInput, "F1")} | {F(c.BatchedInputsPerSecond, "F0")} | {c.Note} |"));
        sb.AppendLine();

        if (r.Transfer.Count > 0)
        {
            sb.AppendLine("Transfer ranking for new tasks from a few labelled shots (ranked: Task2Vec distance and data MMD, mean of ranks; measured: a fresh head on the same shots over each specialist's features, accuracy on other rows of the task):").AppendLine();
            sb.AppendLine("| probe | shots | eval rows | expected | ranking (best first) | measured best | measured accuracy per specialist | base only | Spearman |");
            sb.AppendLine("|---|---:|---:|---|---|---|---|---:|---:|");
            foreach (var p in r.Transfer)
            {
                var best = p.Measured.MaxBy(m => m.Value);
                sb.AppendLine($"| {p.Probe} | {p.Shots} | {p.EvalRows} | {p.Expected ?? "—"} | {string.Join(", ", p.Ranking.Select(c => c.Specialist))} | {best.Key} {F(best.Value)} | "
                              + string.Join(", ", p.Measured.OrderByDescending(m => m.Value).Select(m => $"{m.Key} {F(m.Value)}")) + $" | {F(p.BaseOnly)} | {F(p.Spearman, "F2")} |");
            }
            sb.AppendLine();
        }

        var bestRouter = r.Routers.MaxBy(x => Mean(t => t.Routed[x.Method]))!;
        var routedMean = Mean(t => t.Routed[bestRouter.Method]);
        var gap = Mean(t => t.Oracle) - routedMean;
        sb.AppendLine("Targets:").AppendLine();
        sb.AppendLine("| target | measured | met |").AppendLine("|---|---|---|");
        sb.AppendLine($"| routed accuracy within 1 point of oracle on average | oracle {F(Mean(t => t.Oracle))}, routed ({bestRouter.Method}) {F(routedMean)}: {F(100 * gap, "F2")} points under | {(gap <= 0.01 ? "yes" : "no")} |");
        var bestRouting = r.Routers.MaxBy(x => x.RoutingAccuracy)!;
        sb.AppendLine($"| routing accuracy ≥ 97 % | {bestRouting.Method} {Pct(bestRouting.RoutingAccuracy)}" + string.Concat(r.Routers.Where(x => x != bestRouting).Select(x => $", {x.Method} {Pct(x.RoutingAccuracy)}")) + $" | {(bestRouting.RoutingAccuracy >= 0.97 ? "yes" : "no")} |");
        var bestMerge = merges.Count == 0 ? null : merges.MaxBy(m => Mean(t => t.Merges[m]));
        sb.AppendLine(bestMerge is null ? "| best merge within 3 points of the specialists on average | not measured: no merge method in this build | — |"
            : $"| best merge within 3 points of the specialists on average | {bestMerge} {F(Mean(t => t.Merges[bestMerge]))} against oracle {F(Mean(t => t.Oracle))} | {(Mean(t => t.Oracle) - Mean(t => t.Merges[bestMerge]) <= 0.03 ? "yes" : "no")} |");
        var mt = Mean(t => t.Multitask);
        sb.AppendLine(double.IsNaN(mt) ? "| routed ecosystem ahead of the multitask model | not measured (multitask: false) | — |"
            : $"| routed ecosystem ahead of the multitask model | routed {F(routedMean)} against multitask {F(mt)} (task given) and {F(Mean(t => t.MultitaskRouted))} (routed) | {(routedMean > mt ? "yes" : "no")} |");
        return sb.ToString();
    }
}
