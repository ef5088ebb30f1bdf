using System.Globalization;
using System.Text;
using Cadre.Composition;
using Cadre.Merge;
using Cadre.Specialists;
using Cadre.Specs;

namespace Cadre.Benchmarks;

/// <summary>One merge of the benchmark: a label, the method, and whether the result goes into the base (no SVD).</summary>
public sealed record MergeConfiguration(string Label, string Method, bool IntoBase = false, MergeSettings? Parameters = null);

/// <summary>A merged specialist's headline metric per task and what the merge cost.</summary>
public sealed record MergeRow(MergeConfiguration Configuration, IReadOnlyDictionary<string, double> Accuracy, double Seconds, double? ReconstructionError);

/// <summary>
/// Trains the specialists of a spec (those not stored yet), merges all of them with every configuration, and
/// tabulates each task's test accuracy (validation where a task has no test split) for every merge beside the
/// specialist alone: a preview of the merge suite.
/// </summary>
public static class MergeBenchmark
{
    public static IReadOnlyList<MergeConfiguration> Default() =>
    [
        .. MergeMethods.All.Select(m => new MergeConfiguration(m.Name, m.Name)),
        new MergeConfiguration("linear, into base", "linear", IntoBase: true),
    ];

    public static (IReadOnlyList<SpecialistRecord> Inputs, IReadOnlyList<MergeRow> Rows) Run(
        string home, SpecFile spec, IReadOnlyList<MergeConfiguration> configurations, int? rank, Action<string> log, CancellationToken cancel)
    {
        var catalog = new SpecialistCatalog(home);
        var stored = catalog.List().Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var missing = spec.Specialists.Where(s => !stored.Contains(s.Name)).ToList();
        if (missing.Count > 0)
            SpecialistsBenchmark.Train(home, spec with { Specialists = missing }, _ => true, log, cancel);
        var inputs = spec.Specialists.Select(s => catalog.Get(s.Name)).ToList();
        var rows = new List<MergeRow>();
        foreach (var c in configurations)
        {
            cancel.ThrowIfCancellationRequested();
            log($"== merge {c.Label}");
            var name = "bench-merge-" + c.Label.Replace(", ", "-").Replace(' ', '-').Replace('_', '-');
            var outcome = SpecialistMerger.Merge(home, new MergeRequest
            {
                Name = name, Method = c.Method, Inputs = inputs.Select(i => new MergeRequestInput(i.Name)).ToList(),
                Parameters = c.Parameters ?? new MergeSettings(), IntoBase = c.IntoBase, Rank = c.IntoBase ? null : rank,
            }, line => log("   " + line.TrimStart()), cancel);
            var lineage = outcome.Record.Merge!;
            rows.Add(new MergeRow(c, outcome.Record.TaskList.ToDictionary(t => t.Name, t => Headline(t.Metrics)),
                                  lineage.Seconds, lineage.ReconstructionError?.GetValueOrDefault("total")));
        }
        return (inputs, rows);
    }

    public static string Table(IReadOnlyList<SpecialistRecord> inputs, IReadOnlyList<MergeRow> rows, string commandLine)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Merging: every method on the same specialists").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine("Accuracy of each task's head on the merged model (test split; validation where a task has none), beside the specialist alone:").AppendLine();
        sb.AppendLine("| task | alone | " + string.Join(" | ", rows.Select(r => r.Configuration.Label)) + " |");
        sb.AppendLine("|---|---:|" + string.Concat(rows.Select(_ => "---:|")));
        var tasks = inputs.SelectMany(i => i.TaskList).ToList();
        foreach (var t in tasks)
            sb.AppendLine(string.Create(ci, $"| {t.Name} | {Headline(t.Metrics):F4} | ") + string.Join(" | ", rows.Select(r => r.Accuracy[t.Name].ToString("F4", ci))) + " |");
        var alone = tasks.Average(t => Headline(t.Metrics));
        sb.AppendLine(string.Create(ci, $"| **mean** | **{alone:F4}** | ") + string.Join(" | ", rows.Select(r => $"**{r.Accuracy.Values.Average().ToString("F4", ci)}**")) + " |");
        sb.AppendLine("| mean − alone (points) | | " + string.Join(" | ", rows.Select(r => ((r.Accuracy.Values.Average() - alone) * 100).ToString("+0.0;-0.0", ci))) + " |");
        sb.AppendLine("| LoRA reconstruction error | | " + string.Join(" | ", rows.Select(r => r.ReconstructionError is { } e ? e.ToString("F3", ci) : "none (full)")) + " |");
        sb.AppendLine("| merge seconds | | " + string.Join(" | ", rows.Select(r => r.Seconds.ToString("F1", ci))) + " |");
        return sb.ToString();
    }

    private static double Headline(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> metrics) =>
        metrics.TryGetValue("test", out var t) ? MetricText.Headline(t).Value
        : metrics.TryGetValue("validation", out var v) ? MetricText.Headline(v).Value : double.NaN;
}
