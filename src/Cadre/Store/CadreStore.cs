using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Store;

/// <summary>A version of a specialist: its id (the content address of its record) and the record.</summary>
public sealed record VersionInfo(string Id, VersionRecord Record)
{
    public string Name => Record.Name;
    public int Number => Record.Number;
    public string ShortId => Id[..12];
}

/// <summary>
/// The store under <c>CADRE_HOME/store</c> (format <c>cadre-store</c> version 1, recorded in <c>store.json</c>):
/// content-addressed objects, refs, and the history of every specialist. A version is a record naming a snapshot
/// (manifest), its parents and the base it needs; a base is stored once however many versions use it, and a tensor
/// that did not change between versions is stored once. Checked-out versions are materialized, read-only by
/// convention, under <c>CADRE_HOME/checkouts/ID</c>: derived data that gc may remove and that a version recreates.
/// </summary>
public sealed partial class CadreStore
{
    public const int CurrentVersion = 1;
    public const string DefaultBranch = "main";

    public CadreStore(string home)
    {
        Home = home;
        Root = Path.Combine(home, "store");
        Objects = new ObjectStore(Root);
        Refs = new Refs(Root);
    }

    public string Home { get; }
    public string Root { get; }
    public ObjectStore Objects { get; }
    public Refs Refs { get; }
    public string CheckoutsFolder => Path.Combine(Home, "checkouts");

    private string FormatFile => Path.Combine(Root, "store.json");

    private sealed record FormatRecord(
        [property: JsonPropertyName("format_version")] int FormatVersion,
        [property: JsonPropertyName("type")] string Type);

    /// <summary>Refuses a store written by a Cadre with another format; creates the marker in a new store.</summary>
    internal void EnsureFormat(bool create)
    {
        if (File.Exists(FormatFile))
        {
            FormatRecord? f;
            try { f = JsonSerializer.Deserialize<FormatRecord>(File.ReadAllBytes(FormatFile)); }
            catch (JsonException e) { throw new CadreException($"{FormatFile}: not a store marker ({e.Message})"); }
            if (f is null || f.Type != "cadre-store")
                throw new CadreException($"{FormatFile}: not a Cadre store marker");
            if (f.FormatVersion != CurrentVersion)
                throw new CadreException($"{FormatFile}: store format_version {f.FormatVersion} is not supported (this Cadre reads {CurrentVersion})");
            return;
        }
        if (!create) return;
        using var writing = StoreLock.Acquire(Root, StoreLock.ObjectsLock, shared: true); // gc empties store/tmp
        Directory.CreateDirectory(Objects.TmpFolder);
        var tmp = Path.Combine(Objects.TmpFolder, "store-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(new FormatRecord(CurrentVersion, "cadre-store")));
        try { File.Move(tmp, FormatFile, overwrite: false); }
        catch (IOException) when (File.Exists(FormatFile)) { File.Delete(tmp); }
    }

    public bool HasSpecialist(string name) => Refs.Read($"specialists/{Refs.CheckName(name)}/HEAD") is not null;

    public IReadOnlyList<string> Specialists() => Refs.Specialists().Where(HasSpecialist).ToList();

    /// <summary>Reads and checks a version record.</summary>
    public VersionInfo ReadVersion(string id)
    {
        var record = VersionRecord.Parse(Objects.ReadAll(id, 1 << 20), $"version {id[..12]}");
        return new VersionInfo(id, record);
    }

    public Manifest ReadManifest(VersionInfo version) => Snapshots.Read(Objects, version.Record.Manifest);

    /// <summary>Raw bytes of one small file of a version (such as <c>cadre.json</c>), without checking it out.</summary>
    public byte[]? ReadFile(VersionInfo version, string path, long limit = 16 << 20)
    {
        var file = ReadManifest(version).File(path);
        if (file is null) return null;
        if (file.Size > limit) throw new CadreException($"{version.Name}@{version.Number}: {path} has {file.Size} bytes, more than {limit}");
        using var buffer = new MemoryStream();
        Snapshots.WriteFile(Objects, file, buffer);
        return buffer.ToArray();
    }

    /// <summary>The version HEAD points at (through its branch), or null for a specialist without versions.</summary>
    public VersionInfo? Head(string name)
    {
        var id = HeadId(name);
        return id is null ? null : ReadVersion(id);
    }

    /// <summary>The branch HEAD is on, or null when HEAD is detached (or absent).</summary>
    public string? CurrentBranch(string name) =>
        Refs.Read($"specialists/{Refs.CheckName(name)}/HEAD") is { } head && head.StartsWith("ref: heads/", StringComparison.Ordinal)
            ? head["ref: heads/".Length..] : null;

    private string? HeadId(string name)
    {
        var head = Refs.Read($"specialists/{Refs.CheckName(name)}/HEAD");
        if (head is null) return null;
        if (head.StartsWith("ref: ", StringComparison.Ordinal))
            return Refs.Read($"specialists/{name}/{head[5..]}");
        return ObjectIds.IsValid(head) ? head : throw new CadreException($"{name}: HEAD holds '{head}', neither a ref nor a version id");
    }

    /// <summary>
    /// Records the files of <paramref name="folder"/> as a new version of <paramref name="name"/> on top of HEAD and
    /// moves HEAD (and its branch) to it. Tensors equal to the parent's are not stored again; changed ones are stored
    /// as a delta against the parent's tensor of the same name (or, for a first version, the base's), whichever
    /// encoding is smallest. Returns HEAD unchanged when the snapshot equals it.
    /// </summary>
    public (VersionInfo Version, bool Created) Commit(string name, string folder, StoreBase baseModel, string message)
    {
        Refs.CheckName(name);
        EnsureFormat(create: true);
        using var writing = StoreLock.Acquire(Root, StoreLock.ObjectsLock, shared: true); // gc waits for us
        var similar = SimilarTensors(Head(name), baseModel);
        var manifest = Snapshots.Commit(Objects, folder, similar);
        using var refs = StoreLock.Acquire(Root, StoreLock.RefsLock);
        var head = Head(name); // again: another process may have committed meanwhile
        if (head is not null && head.Record.Manifest == manifest && head.Record.Base == baseModel)
            return (head, false);
        var versions = Refs.Versions(name);
        var record = new VersionRecord
        {
            Name = name, Number = versions.Count == 0 ? 1 : versions.Max(v => v.Number) + 1,
            Parents = head is null ? [] : [head.Id], Manifest = manifest, Base = baseModel, Message = message,
        };
        var id = Objects.PutBlob(record.ToBytes());
        // The index first: a crash before HEAD moves leaves a complete version that the index keeps reachable.
        Refs.WriteVersions(name, versions.Append((record.Number, id)));
        MoveHead(name, id);
        return (new VersionInfo(id, record), true);
    }

    /// <summary>Points HEAD's branch (or a detached HEAD) at <paramref name="id"/>; a new specialist starts on main.</summary>
    private void MoveHead(string name, string id)
    {
        var head = Refs.Read($"specialists/{name}/HEAD");
        if (head is null)
        {
            Refs.Write($"specialists/{name}/heads/{DefaultBranch}", id);
            Refs.Write($"specialists/{name}/HEAD", $"ref: heads/{DefaultBranch}");
        }
        else if (head.StartsWith("ref: ", StringComparison.Ordinal))
            Refs.Write($"specialists/{name}/{head[5..]}", id);
        else
            Refs.Write($"specialists/{name}/HEAD", id);
    }

    /// <summary>For each (file, tensor) of a new snapshot, the object of the same tensor in the parent, else in the base.</summary>
    private Func<string, ManifestTensor, string?> SimilarTensors(VersionInfo? parent, StoreBase baseModel)
    {
        var previous = new Dictionary<(string, string), string>();
        if (parent is not null)
            foreach (var f in ReadManifest(parent).Files)
            foreach (var t in f.Tensors ?? [])
                previous[(f.Path, t.Name)] = t.Id;
        var fromBase = new Dictionary<string, string>(StringComparer.Ordinal);
        if (FindBase(baseModel) is { } entry)
            foreach (var t in Snapshots.Read(Objects, entry.Manifest).Files.SelectMany(f => f.Tensors ?? []))
                fromBase.TryAdd(t.Name, t.Id);
        // A chain at its longest restarts against the base's tensor (depth 0) rather than as a whole new copy.
        return (file, tensor) =>
            previous.TryGetValue((file, tensor.Name), out var id) && (!fromBase.ContainsKey(tensor.Name) || Objects.ReadHeader(id).Depth < ObjectHeader.MaxDepth)
                ? id : fromBase.GetValueOrDefault(tensor.Name);
    }
}
