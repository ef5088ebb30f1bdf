using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Store;

/// <summary>One tensor of a safetensors file in a manifest, in the file's data order.</summary>
public sealed record ManifestTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("dtype")] string DType,
    [property: JsonPropertyName("shape")] long[] Shape,
    [property: JsonPropertyName("id")] string Id);

/// <summary>
/// One file of a snapshot. A safetensors file is its header (a blob) plus its tensors (objects), from which the file
/// is rebuilt byte for byte; any other file is one blob.
/// </summary>
public sealed record ManifestFile
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    /// <summary>Whole-file blob (files that are not safetensors).</summary>
    [JsonPropertyName("blob")] public string? Blob { get; init; }
    /// <summary>The safetensors header bytes (without the 8-byte length) as a blob.</summary>
    [JsonPropertyName("header")] public string? Header { get; init; }
    [JsonPropertyName("tensors")] public IReadOnlyList<ManifestTensor>? Tensors { get; init; }

    [JsonIgnore] public bool IsSafetensors => Header is not null;

    /// <summary>Objects this file needs.</summary>
    public IEnumerable<string> ObjectIds() => Blob is not null ? [Blob] : Tensors!.Select(t => t.Id).Prepend(Header!);
}

/// <summary>
/// A snapshot of a folder (format <c>cadre-manifest</c> version 1): its files by name. Stored as a blob; the
/// manifest's id is the content address of the whole snapshot.
/// </summary>
public sealed record Manifest
{
    public const int CurrentVersion = 1;
    public const long MaxBytes = 64 << 20;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("type")] public string Type { get; init; } = "manifest";
    [JsonPropertyName("files")] public required IReadOnlyList<ManifestFile> Files { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static Manifest Parse(byte[] bytes, string what)
    {
        Manifest? m;
        try { m = JsonSerializer.Deserialize<Manifest>(bytes, Json); }
        catch (JsonException e) { throw new CadreException($"{what}: not a manifest ({e.Message})"); }
        if (m is null || m.Type != "manifest")
            throw new CadreException($"{what}: not a manifest");
        if (m.FormatVersion != CurrentVersion)
            throw new CadreException($"{what}: manifest format_version {m.FormatVersion} is not supported (this Cadre reads {CurrentVersion})");
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in m.Files ?? [])
        {
            if (!IsSafePath(f.Path)) errors.Add($"unsafe file path '{f.Path}'");
            if (!seen.Add(f.Path)) errors.Add($"file '{f.Path}' listed twice");
            if (f.Size < 0) errors.Add($"{f.Path}: negative size");
            var ids = (f.Blob is null) == (f.Header is null) || (f.Header is not null && f.Tensors is null)
                ? null : f.ObjectIds().ToList();
            if (ids is null) errors.Add($"{f.Path}: needs either a blob or a header with tensors");
            else if (ids.Any(id => !Store.ObjectIds.IsValid(id))) errors.Add($"{f.Path}: bad object id");
            if (f.Tensors?.Any(t => Tensors.DTypes.Parse(t.DType) is null || t.Shape is null || t.Name is null) == true)
                errors.Add($"{f.Path}: bad tensor entry");
        }
        if (m.Files is null) errors.Add("no files list");
        if (errors.Count > 0) throw new CadreException($"{what}: invalid manifest: {string.Join("; ", errors)}");
        return m;
    }

    /// <summary>A plain file name: never a path, a dot-file (so never "." or ".."), a control character or a drive.</summary>
    public static bool IsSafeFileName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 255 && name[0] != '.' && name.IndexOfAny(['/', '\\', '\0', ':']) < 0
        && !name.Any(char.IsControl);

    /// <summary>Deepest folder nesting a snapshot keeps (Hugging Face folders put tokenizers one or two levels down).</summary>
    public const int MaxDepth = 4;

    /// <summary>
    /// A relative path of safe file names joined by '/': no absolute path, no "..", no hidden segment, at most
    /// <see cref="MaxDepth"/> folders deep. A manifest from anywhere can therefore only name files inside the folder
    /// it is materialized into.
    /// </summary>
    public static bool IsSafePath(string? path) =>
        !string.IsNullOrEmpty(path) && path.Length <= 1024 && path.Split('/') is var parts
        && parts.Length <= MaxDepth + 1 && parts.All(IsSafeFileName);

    public IEnumerable<string> ObjectIds() => Files.SelectMany(f => f.ObjectIds());

    public ManifestFile? File(string path) => Files.FirstOrDefault(f => f.Path == path);
}
