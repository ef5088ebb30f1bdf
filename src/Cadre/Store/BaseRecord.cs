using System.Text.Json.Serialization;

namespace Cadre.Store;

/// <summary>
/// <c>base.json</c>: what Cadre knows of an imported base model. Persisted with a format version; readers refuse
/// versions they do not know.
/// </summary>
public sealed record BaseRecord
{
    public const string FileName = "base.json";
    public const int CurrentVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>snake_case architecture: <c>use_lite</c>, <c>bert</c>, <c>llama</c>.</summary>
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    /// <summary>Where it came from: an npm spec, a file or folder path.</summary>
    [JsonPropertyName("source")] public required string Source { get; init; }
    /// <summary>SHA-256 over the sorted (tensor name, tensor hash) pairs: equal weights, equal hash, whatever the file layout.</summary>
    [JsonPropertyName("content_hash")] public required string ContentHash { get; init; }
    [JsonPropertyName("parameter_count")] public long ParameterCount { get; init; }
    [JsonPropertyName("dtype")] public required string DType { get; init; }
    [JsonPropertyName("imported_at")] public DateTimeOffset ImportedAt { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>Architecture details worth showing (hidden size, layers, vocabulary...).</summary>
    [JsonPropertyName("details")] public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();
}
