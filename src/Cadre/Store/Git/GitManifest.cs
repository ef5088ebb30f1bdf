using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Store.Git;

/// <summary>
/// What git stores for a checkpoint tracked through Cadre's filter (format <c>cadre-git-manifest</c> version 1): a
/// first line <c>cadre-git-manifest 1</c>, then one JSON object: the file's <c>size</c>, and either its safetensors
/// <c>header</c> (a blob) and <c>tensors</c> (name, dtype, shape, object id, one per line, in data order) or a
/// whole-file <c>blob</c>. It names no path, so a renamed or copied checkpoint keeps its text. See docs/formats.md.
/// </summary>
public sealed record GitManifest
{
    public const string Magic = "cadre-git-manifest";
    public const int CurrentVersion = 1;

    /// <summary>The file's name inside the store manifest that keeps a git manifest's objects reachable.</summary>
    public const string StorePath = "checkpoint";

    private GitManifest(ManifestFile file) => File = file;

    /// <summary>The file as the store describes it (its path is <see cref="StorePath"/>).</summary>
    public ManifestFile File { get; }

    public bool IsSafetensors => File.IsSafetensors;
    public IReadOnlyList<ManifestTensor> Tensors => File.Tensors ?? [];

    public static GitManifest Of(ManifestFile file) => new(file with { Path = StorePath });

    /// <summary>True when <paramref name="prefix"/> starts like a git manifest (whether or not the rest is valid).</summary>
    public static bool LooksLike(ReadOnlySpan<byte> prefix) =>
        prefix.Length >= Magic.Length + 1 && prefix.StartsWith(Encoding.ASCII.GetBytes(Magic + " "));

    private sealed record Body
    {
        [JsonPropertyName("size")] public long Size { get; init; }
        [JsonPropertyName("blob")] public string? Blob { get; init; }
        [JsonPropertyName("header")] public string? Header { get; init; }
        [JsonPropertyName("tensors")] public List<ManifestTensor>? Tensors { get; init; }
    }

    /// <summary>The text git stores: deterministic, so cleaning the same file twice gives the same blob.</summary>
    public byte[] ToBytes()
    {
        var text = new StringBuilder();
        text.Append(Magic).Append(' ').Append(CurrentVersion).Append('\n');
        var size = JsonSerializer.Serialize(File.Size);
        if (File.Blob is not null)
            text.Append("{\"size\":").Append(size).Append(",\"blob\":").Append(JsonSerializer.Serialize(File.Blob)).Append("}\n");
        else
        {
            text.Append("{\"size\":").Append(size).Append(",\"header\":").Append(JsonSerializer.Serialize(File.Header)).Append(",\"tensors\":[");
            for (var i = 0; i < Tensors.Count; i++)
                text.Append(i == 0 ? "\n" : ",\n").Append(JsonSerializer.Serialize(Tensors[i], Manifest.Json));
            text.Append("\n]}\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// The store manifest (<c>cadre-manifest</c> version 1, one file named <see cref="StorePath"/>) that a root of the
    /// repository points at; its blob id is the root's id.
    /// </summary>
    public byte[] ToStoreManifest() => new Manifest { Files = [File] }.ToBytes();

    public string StoreManifestId => ObjectIds.OfBlob(ToStoreManifest());

    /// <summary>Parses and checks a git manifest; anything malformed is a <see cref="CadreException"/> naming <paramref name="what"/>.</summary>
    public static GitManifest Parse(ReadOnlySpan<byte> bytes, string what)
    {
        var newline = bytes.IndexOf((byte)'\n');
        var first = Encoding.UTF8.GetString(newline < 0 ? bytes : bytes[..newline]).TrimEnd('\r');
        if (!first.StartsWith(Magic + " ", StringComparison.Ordinal))
            throw new CadreException($"{what}: not a cadre git manifest (its first line is not '{Magic} {CurrentVersion}')");
        if (first != $"{Magic} {CurrentVersion}")
            throw new CadreException(int.TryParse(first[(Magic.Length + 1)..], out var v)
                ? $"{what}: cadre git manifest version {v} is not supported (this Cadre reads {CurrentVersion}; upgrade Cadre)"
                : $"{what}: malformed cadre git manifest (first line '{first}')");
        if (newline < 0) throw new CadreException($"{what}: malformed cadre git manifest (nothing after its first line)");
        Body? body;
        try { body = JsonSerializer.Deserialize<Body>(bytes[(newline + 1)..], Manifest.Json); }
        catch (JsonException e) { throw new CadreException($"{what}: malformed cadre git manifest ({e.Message})"); }
        if (body is null || body.Tensors?.Any(t => t is null) == true)
            throw new CadreException($"{what}: malformed cadre git manifest (a null entry)");
        var file = new ManifestFile
        {
            Path = StorePath, Size = body.Size, Blob = body.Blob, Header = body.Header, Tensors = body.Tensors,
        };
        // The store's own checks (object ids, dtypes, blob or header with tensors), then what a single file adds.
        try { Manifest.Parse(new Manifest { Files = [file] }.ToBytes(), "-"); }
        catch (CadreException e) { throw new CadreException($"{what}: malformed cadre git manifest ({e.Message.Replace("-: invalid manifest: ", "")})"); }
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in file.Tensors ?? [])
        {
            if (!names.Add(t.Name)) errors.Add($"tensor '{t.Name}' listed twice");
            if (t.Shape.Any(d => d < 0)) errors.Add($"tensor '{t.Name}' has a negative dimension");
        }
        if (errors.Count > 0) throw new CadreException($"{what}: malformed cadre git manifest: {string.Join("; ", errors)}");
        return new GitManifest(file);
    }

    /// <summary>Every object the checkpoint needs, delta bases included, that the store lacks (or cannot read).</summary>
    public IReadOnlyList<string> MissingObjects(ObjectStore store)
    {
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(File.ObjectIds());
        while (stack.TryPop(out var id))
        {
            if (!seen.Add(id)) continue;
            if (!store.Has(id)) { missing.Add(id); continue; }
            try
            {
                if (store.ReadHeader(id).Base is { } deltaBase) stack.Push(deltaBase);
            }
            catch (CadreException) { missing.Add(id); }
        }
        return missing;
    }
}
