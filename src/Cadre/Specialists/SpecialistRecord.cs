using System.Text.Json.Serialization;
using Cadre.Training;

namespace Cadre.Specialists;

/// <summary>The base a specialist was trained on, pinned by content hash.</summary>
public sealed record BaseReference(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("content_hash")] string ContentHash);

/// <summary>A data file a specialist saw, by content hash.</summary>
public sealed record DataReference(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("rows")] int Rows);

/// <summary>How metric values read in one line: <c>accuracy 0.9120, macro-F1 0.9027, ECE 0.0246 (500 rows)</c>.</summary>
public static class MetricText
{
    private static readonly (string Key, string Name)[] Order =
    [
        ("accuracy", "accuracy"), ("subset_accuracy", "subset accuracy"), ("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"),
        ("hamming_loss", "Hamming loss"), ("ece", "ECE"), ("rmse", "RMSE"), ("mae", "MAE"), ("spearman", "Spearman"),
        ("pearson", "Pearson"),
    ];

    public static string Line(IReadOnlyDictionary<string, double> m)
    {
        var parts = Order.Where(o => m.ContainsKey(o.Key))
            .Select(o => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{o.Name} {m[o.Key]:F4}"));
        var rows = m.TryGetValue("count", out var c) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({c:F0} rows)") : "";
        return string.Join(", ", parts) + rows;
    }

    /// <summary>The headline value of a task's metrics: accuracy, micro-F1, or Spearman.</summary>
    public static (string Name, double Value) Headline(IReadOnlyDictionary<string, double> m) =>
        m.TryGetValue("accuracy", out var a) ? ("accuracy", a)
        : m.TryGetValue("micro_f1", out var f) ? ("micro-F1", f)
        : m.TryGetValue("spearman", out var s) ? ("Spearman", s) : ("", double.NaN);
}

/// <summary>
/// <c>cadre.json</c> (format version 1): everything needed to trust and reuse a specialist — its base by content
/// hash, labels, method, the spec that made it, the data it saw by hash, and its metrics.
/// </summary>
public sealed record SpecialistRecord
{
    public const string FileName = "cadre.json";
    public const string HeadFile = "head.safetensors";
    public const int CurrentVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }
    [JsonPropertyName("base")] public required BaseReference Base { get; init; }
    /// <summary>Per split (validation, test): the task's named metric values and the row count.</summary>
    [JsonPropertyName("metrics")] public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Metrics { get; init; }
    [JsonPropertyName("data")] public required IReadOnlyDictionary<string, DataReference> Data { get; init; }
    [JsonPropertyName("training")] public required IReadOnlyDictionary<string, double> Training { get; init; }
    [JsonPropertyName("spec")] public required Training.Spec.SpecialistSpec Spec { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
