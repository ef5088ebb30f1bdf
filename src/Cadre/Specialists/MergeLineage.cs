using System.Text.Json.Serialization;

namespace Cadre.Specialists;

/// <summary>
/// How a merged specialist came to be (its <c>cadre.json</c> <c>merge</c> block): the method and its parameters as
/// used (defaults filled in), the inputs with their identity, what was written, and what the merge cost. It lets a
/// dashboard draw the merge graph and lets anyone redo the merge.
/// </summary>
public sealed record MergeLineage
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    /// <summary>Every parameter the method read, defaults included, as text.</summary>
    [JsonPropertyName("parameters")] public required IReadOnlyDictionary<string, string> Parameters { get; init; }
    [JsonPropertyName("inputs")] public required IReadOnlyList<MergeInputRecord> Inputs { get; init; }
    /// <summary>What the merged adapter is: <c>lora</c>, <c>ia3</c>, <c>full</c> (weights merged into the base) or <c>head</c> (no adapter).</summary>
    [JsonPropertyName("output")] public required string Output { get; init; }
    /// <summary>LoRA output: the rank the merged updates were factored back to.</summary>
    [JsonPropertyName("rank"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Rank { get; init; }
    /// <summary>LoRA output: relative Frobenius error ‖ΔW − B·A‖ / ‖ΔW‖, over all sites (<c>total</c>) and per site.</summary>
    [JsonPropertyName("reconstruction_error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? ReconstructionError { get; init; }
    /// <summary>Things the merge did that a user should know (normalized weights, inputs without an adapter at a site).</summary>
    [JsonPropertyName("notes")] public IReadOnlyList<string> Notes { get; init; } = [];
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
}

/// <summary>One input of a merge, pinned by the content of its folder.</summary>
public sealed record MergeInputRecord
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("weight")] public required double Weight { get; init; }
    /// <summary><c>cadre-folder-v1</c> hash of the input's folder (docs/formats.md): equal content, equal hash.</summary>
    [JsonPropertyName("content_hash")] public required string ContentHash { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; }
    /// <summary>The store version merged (its id and number), so the lineage names exactly what went in.</summary>
    [JsonPropertyName("version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Version { get; init; }
    [JsonPropertyName("version_number"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? VersionNumber { get; init; }
    /// <summary>The input's tasks, each with the input's own metrics (before merging).</summary>
    [JsonPropertyName("tasks")] public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>> Tasks { get; init; }
    /// <summary>Fisher merging: the estimate this input brought (examples, label mode, seconds, probability mass left out).</summary>
    [JsonPropertyName("fisher"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Fisher { get; init; }
}
