using System.Globalization;
using System.Text;

namespace Cadre.Benchmarks.Load;

/// <summary>The markdown of <c>cadre bench serve</c> for docs/RESULTS.md.</summary>
public static class ServeReport
{
    public static readonly IReadOnlyDictionary<string, string> Modes = new Dictionary<string, string>
    {
        ["mixed"] = "Cadre: one base, adapters gathered per row, one forward pass per batch",
        ["split"] = "baseline (b): one base, each batch split per adapter (PEFT's mixed-batch way)",
        ["per-model"] = "baseline (a): one model per specialist (its own copy of the base), each with its own batcher",
    };

    public static string Markdown(IReadOnlyList<ServeLoadResult> rows, IReadOnlyList<string> skipped, string command, string setup)
    {
        static string F(double v, string f = "F1") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"Command: `{command}`").AppendLine();
        sb.AppendLine(Benchmarks.ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine(setup).AppendLine();
        sb.AppendLine("| mode | specialists | requests/s | p50 ms | p99 ms | errors | rows per batch | resident MiB | peak MiB | load s |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            sb.AppendLine($"| {r.Mode} | {r.Specialists:N0} | {F(r.Throughput)} | {F(r.P50Ms)} | {F(r.P99Ms)} | {r.Errors} | {F(r.RowsPerBatch)} | "
                          + $"{r.ResidentBytes / (1024.0 * 1024):F0} | {r.PeakResidentBytes / (1024.0 * 1024):F0} | {F(r.WarmSeconds)} |");
        sb.AppendLine();
        foreach (var (mode, text) in Modes) sb.AppendLine($"- `{mode}`: {text}.");
        foreach (var s in skipped) sb.AppendLine($"- Not run: {s}");
        var mixed = rows.Where(r => r.Mode == "mixed").OrderBy(r => r.Specialists).ToList();
        if (mixed.Count >= 2)
        {
            var (first, last) = (mixed[0], mixed[^1]);
            var ratio = last.Throughput / first.Throughput;
            sb.AppendLine().AppendLine($"Goal: throughput at N = {last.Specialists:N0} at least 80 % of N = {first.Specialists}. Measured: "
                                       + $"{ratio * 100:F0} % ({F(last.Throughput)} vs {F(first.Throughput)} requests/s): {(ratio >= 0.8 ? "met" : "missed")}.");
        }
        return sb.ToString();
    }
}
