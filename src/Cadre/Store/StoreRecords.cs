using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Store;

/// <summary>The base a version was trained on, by content hash (the state-dict hash of <c>base.json</c>).</summary>
public sealed record StoreBase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("content_hash")] string ContentHash);

/// <summary>
/// One version of a specialist (format <c>cadre-version</c> version 1), stored as a blob: its snapshot, its parents,
/// its number among the specialist's versions, and the base it needs.
/// </summary>
public sealed record VersionRecord
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("type")] public string Type { get; init; } = "version";
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("number")] public required int Number { get; init; }
    [JsonPropertyName("parents")] public required IReadOnlyList<string> Parents { get; init; }
    [JsonPropertyName("manifest")] public required string Manifest { get; init; }
    [JsonPropertyName("base")] public required StoreBase Base { get; init; }
    [JsonPropertyName("message")] public string Message { get; init; } = "";
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Manifest_.Json);

    public static VersionRecord Parse(byte[] bytes, string what)
    {
        VersionRecord? v;
        try { v = JsonSerializer.Deserialize<VersionRecord>(bytes, Manifest_.Json); }
        catch (JsonException e) { throw new CadreException($"{what}: not a version record ({e.Message})"); }
        if (v is null || v.Type != "version") throw new CadreException($"{what}: not a version record");
        if (v.FormatVersion != CurrentVersion)
            throw new CadreException($"{what}: version format_version {v.FormatVersion} is not supported (this Cadre reads {CurrentVersion})");
        var errors = new List<string>();
        if (!ObjectIds.IsValid(v.Manifest)) errors.Add("bad manifest id");
        if (v.Parents is null || v.Parents.Any(p => !ObjectIds.IsValid(p))) errors.Add("bad parent id");
        if (v.Number < 1) errors.Add("number must be at least 1");
        if (v.Base is null || !ObjectIds.IsValid(v.Base.ContentHash)) errors.Add("bad base");
        try { BaseCatalog.ValidateName(v.Name, "specialist"); } catch (CadreException e) { errors.Add(e.Message); }
        if (errors.Count > 0) throw new CadreException($"{what}: invalid version record: {string.Join("; ", errors)}");
        return v;
    }

    private static class Manifest_
    {
        public static readonly JsonSerializerOptions Json = Store.Manifest.Json;
    }
}

/// <summary>A base model in the store (format <c>cadre-base</c> version 1): its snapshot and identity.</summary>
public sealed record BaseEntry
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("type")] public string Type { get; init; } = "base";
    [JsonPropertyName("base")] public required StoreBase Base { get; init; }
    [JsonPropertyName("manifest")] public required string Manifest { get; init; }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Store.Manifest.Json);

    public static BaseEntry Parse(byte[] bytes, string what)
    {
        BaseEntry? b;
        try { b = JsonSerializer.Deserialize<BaseEntry>(bytes, Store.Manifest.Json); }
        catch (JsonException e) { throw new CadreException($"{what}: not a base entry ({e.Message})"); }
        if (b is null || b.Type != "base" || b.Base is null || !ObjectIds.IsValid(b.Manifest))
            throw new CadreException($"{what}: not a base entry");
        if (b.FormatVersion != CurrentVersion)
            throw new CadreException($"{what}: base format_version {b.FormatVersion} is not supported (this Cadre reads {CurrentVersion})");
        return b;
    }
}
