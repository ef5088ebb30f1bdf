using System.Globalization;
using System.Text;
using Cadre.Specialists;
using Cadre.Training;
using Cadre.Specs;

namespace Cadre.Benchmarks;

/// <summary>One trained specialist as the results table shows it.</summary>
public sealed record SpecialistRow(string Name, string Method, string Split, double Accuracy, double MacroF1, int Rows,
                                   long Trainable, long FileBytes, double Seconds, double ExamplesPerSecond, int Epochs);

/// <summary>
/// Trains every specialist of a spec (tasks × methods) and tabulates test accuracy, macro-F1, trainable
/// parameters, file size, training time and examples per second. The table is built from the stored records, so
/// a run done in parts (<c>--only</c>) still yields one table.
/// </summary>
public static class SpecialistsBenchmark
{
    public static void Train(string home, SpecFile spec, Func<SpecialistSpec, bool> chosen, Action<string> log, CancellationToken cancel)
    {
        var trainer = new SpecialistTrainer(home);
        foreach (var s in spec.Specialists.Where(chosen))
        {
            log($"== {s.Name}");
            var outcome = trainer.Train(s, new TrainOptions
            {
                OnEpoch = e => log(string.Create(CultureInfo.InvariantCulture, $"   epoch {e.Epoch}: loss {e.Loss:F4}, validation {e.Metric:F4}, {e.ExamplesPerSecond:F0} ex/s")),
            }, cancel);
            var row = Row(home, outcome.Record);
            log(string.Create(CultureInfo.InvariantCulture, $"   {row.Split} accuracy {row.Accuracy:F4}, macro-F1 {row.MacroF1:F4}, {row.Seconds:F0} s"));
        }
    }

    public static SpecialistRow Row(string home, SpecialistRecord r)
    {
        var (split, m) = r.Metrics.TryGetValue("test", out var t) ? ("test", t) : ("validation", r.Metrics["validation"]);
        var folder = new SpecialistCatalog(home).FolderOf(r.Name);
        var bytes = Directory.GetFiles(folder, "*.safetensors").Sum(f => new FileInfo(f).Length);
        var method = r.Method == "prompt" && r.Spec?.Adapter.DeepPrompt == true ? "deep prompt" : r.Method;
        return new SpecialistRow(r.Name, method, split, m.GetValueOrDefault("accuracy", double.NaN),
                                 m.GetValueOrDefault("macro_f1", double.NaN), (int)m["count"], (long)r.Training["trainable_parameters"], bytes,
                                 r.Training["seconds"], r.Training["examples_per_second"], (int)r.Training["epochs_run"]);
    }

    public static string Table(string home, SpecFile spec, string commandLine)
    {
        var catalog = new SpecialistCatalog(home);
        var stored = catalog.List().ToDictionary(r => r.Name);
        var sb = new StringBuilder();
        sb.AppendLine("## Specialists: every task with every method").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        var rows = spec.Specialists.Where(s => stored.ContainsKey(s.Name)).Select(s => Row(home, stored[s.Name])).ToList();
        Pivot(sb, rows);
        sb.AppendLine("| specialist | method | split | accuracy | macro-F1 | rows | trainable | file | epochs | train s | ex/s |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in spec.Specialists)
        {
            if (!stored.TryGetValue(s.Name, out var record))
            {
                sb.AppendLine($"| {s.Name} | {(s.Adapter.DeepPrompt ? "deep prompt" : s.Adapter.Method)} | not run | | | | | | | | |");
                continue;
            }
            var r = Row(home, record);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Method} | {r.Split} | {r.Accuracy:F4} | {r.MacroF1:F4} | {r.Rows:N0} | {r.Trainable:N0} | {Size(r.FileBytes)} | {r.Epochs} | {r.Seconds:F0} | {r.ExamplesPerSecond:F0} |"));
        }
        return sb.ToString();
    }

    /// <summary>Accuracy / macro-F1 by task (the name before its last '-') and method, one row per task.</summary>
    private static void Pivot(StringBuilder sb, IReadOnlyList<SpecialistRow> rows)
    {
        static string Task(string name) => name.Contains('-') ? name[..name.LastIndexOf('-')] : name;
        var methods = rows.Select(r => r.Method).Distinct().ToList();
        if (rows.Count == 0) return;
        sb.AppendLine("Accuracy / macro-F1 on each task's test split (sms: its validation hold-out), by method:").AppendLine();
        sb.AppendLine("| task | " + string.Join(" | ", methods) + " |");
        sb.AppendLine("|---|" + string.Concat(methods.Select(_ => "---:|")));
        foreach (var task in rows.GroupBy(r => Task(r.Name)))
        {
            var cells = methods.Select(m => task.FirstOrDefault(r => r.Method == m) is { } r
                ? string.Create(CultureInfo.InvariantCulture, $"{r.Accuracy:F3} / {r.MacroF1:F3}") : "");
            sb.AppendLine($"| {task.Key} | {string.Join(" | ", cells)} |");
        }
        sb.AppendLine();
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes} B",
        < 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB"),
    };
}
