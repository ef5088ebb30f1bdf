using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Store.Bundles;

/// <summary>One object in a bundle: its id and the length of its stored file (header and payload), in file order.</summary>
public sealed record BundleObject(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("length")] long Length);

/// <summary>
/// The header of a bundle file (format <c>cadre-bundle</c> version 2): <c>"CADRBDL1"</c>, the header's JSON length
/// (uint32 LE), the JSON below, then each listed object's stored file, back to back, and nothing after. A bundle
/// carries versions of one specialist (<see cref="Versions"/>, the new ones), the objects the receiver lacks, the
/// tags that point into the bundled history (<see cref="Tags"/>, new in version 2), and what the receiver must already
/// hold: <see cref="Prerequisites"/> (versions) and the base, unless <see cref="BaseEntry"/> says the base travels
/// too. Version 1 is the same without tags and is still read. The magic stays "CADRBDL1" in both, so an older Cadre
/// names the version it cannot read instead of calling the file "not a bundle".
/// </summary>
public sealed record BundleHeader
{
    public const int CurrentVersion = 2;
    /// <summary>Versions this Cadre reads: 1 (no tags) and 2.</summary>
    public static readonly IReadOnlyList<int> ReadableVersions = [1, 2];
    public static readonly byte[] Magic = "CADRBDL1"u8.ToArray();
    public const int MaxHeaderBytes = 64 << 20;
    public const int MaxObjects = 4_000_000;
    /// <summary>No single stored object may claim more (a forged length must not make apply read or write without end).</summary>
    public const long MaxObjectBytes = 1L << 40;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("type")] public string Type { get; init; } = "bundle";
    [JsonPropertyName("specialist")] public required string Specialist { get; init; }
    [JsonPropertyName("branch")] public required string Branch { get; init; }
    [JsonPropertyName("tip")] public required string Tip { get; init; }
    /// <summary>Version ids this bundle adds, oldest first.</summary>
    [JsonPropertyName("versions")] public required IReadOnlyList<string> Versions { get; init; }
    [JsonPropertyName("prerequisites")] public required IReadOnlyList<string> Prerequisites { get; init; }
    [JsonPropertyName("base")] public required StoreBase Base { get; init; }
    /// <summary>The base's entry when the base travels in the bundle; null when the receiver must hold it.</summary>
    [JsonPropertyName("base_entry")] public string? BaseEntry { get; init; }
    [JsonPropertyName("objects")] public required IReadOnlyList<BundleObject> Objects { get; init; }
    /// <summary>Tag name → version id, for the tags of the specialist that point at a version of the bundled history (version 2).</summary>
    [JsonPropertyName("tags")] public IReadOnlyDictionary<string, string>? Tags { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public void WriteTo(Stream output)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)json.Length);
        output.Write(Magic);
        output.Write(length);
        output.Write(json);
    }

    /// <summary>Reads and checks the header of a bundle of <paramref name="fileLength"/> bytes: every error at once.</summary>
    public static BundleHeader Read(Stream input, long fileLength, string what)
    {
        Span<byte> prefix = stackalloc byte[12];
        try { input.ReadExactly(prefix); }
        catch (EndOfStreamException) { throw new CadreException($"{what}: not a Cadre bundle (too short)"); }
        if (!prefix[..8].SequenceEqual(Magic)) throw new CadreException($"{what}: not a Cadre bundle (bad magic)");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (length > MaxHeaderBytes || length > fileLength - 12)
            throw new CadreException($"{what}: bundle header of {length} bytes is larger than the limit or the file");
        var json = new byte[length];
        input.ReadExactly(json);
        BundleHeader? h;
        try { h = JsonSerializer.Deserialize<BundleHeader>(json, Json); }
        catch (JsonException e) { throw new CadreException($"{what}: malformed bundle header ({e.Message})"); }
        if (h is null || h.Type != "bundle") throw new CadreException($"{what}: not a Cadre bundle");
        if (!ReadableVersions.Contains(h.FormatVersion))
            throw new CadreException($"{what}: bundle format_version {h.FormatVersion} is not supported (this Cadre reads {string.Join(" and ", ReadableVersions)})");
        h.Check(what, fileLength - 12 - length);
        return h;
    }

    private void Check(string what, long payloadBytes)
    {
        var errors = new List<string>();
        try { Refs.CheckName(Specialist); } catch (CadreException e) { errors.Add(e.Message); }
        try { Refs.CheckRefName(Branch, "branch"); } catch (CadreException e) { errors.Add(e.Message); }
        if (Versions is null || Prerequisites is null || Objects is null || Base is null) errors.Add("missing lists");
        else
        {
            if (!ObjectIds.IsValid(Tip)) errors.Add("bad tip id");
            if (Versions.Concat(Prerequisites).Any(v => !ObjectIds.IsValid(v))) errors.Add("bad version id");
            if (!ObjectIds.IsValid(Base.ContentHash) || (BaseEntry is not null && !ObjectIds.IsValid(BaseEntry))) errors.Add("bad base");
            if (Tags is not null && FormatVersion < 2) errors.Add($"tags in a bundle of format_version {FormatVersion}");
            foreach (var (tag, id) in Tags ?? new Dictionary<string, string>())
            {
                try { Refs.CheckRefName(tag, "tag"); } catch (CadreException e) { errors.Add(e.Message); }
                if (!ObjectIds.IsValid(id)) errors.Add($"tag '{tag}': bad version id");
            }
            if (Objects.Count > MaxObjects) errors.Add($"{Objects.Count} objects, more than {MaxObjects}");
            if (Objects.Any(o => !ObjectIds.IsValid(o.Id))) errors.Add("bad object id");
            if (Objects.Select(o => o.Id).Distinct().Count() != Objects.Count) errors.Add("an object is listed twice");
            if (Objects.Any(o => o.Length is < 12 or > MaxObjectBytes)) errors.Add("an object length is impossible");
            else if (Objects.Sum(o => o.Length) != payloadBytes)
                errors.Add($"the objects' lengths add up to {Objects.Sum(o => o.Length)} bytes but the file holds {payloadBytes} after the header");
        }
        if (errors.Count > 0) throw new CadreException($"{what}: invalid bundle: {string.Join("; ", errors)}");
    }
}
