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

/// <summary>The metrics kept with a specialist.</summary>
public sealed record MetricSummary(
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("ece")] double Ece,
    [property: JsonPropertyName("count")] int Count)
{
    public static MetricSummary From(ClassificationMetrics m) => new(m.Accuracy, m.MacroF1, m.ExpectedCalibrationError, m.Count);
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
    [JsonPropertyName("metrics")] public required IReadOnlyDictionary<string, MetricSummary> Metrics { get; init; }
    [JsonPropertyName("data")] public required IReadOnlyDictionary<string, DataReference> Data { get; init; }
    [JsonPropertyName("training")] public required IReadOnlyDictionary<string, double> Training { get; init; }
    [JsonPropertyName("spec")] public required Training.Spec.SpecialistSpec Spec { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
