namespace Cadre.Store.Bundles;

/// <summary>What applying a bundle changed.</summary>
public sealed record ApplyResult(string Specialist, string Branch, VersionInfo Tip, int NewVersions, int NewObjects, bool BaseAdded)
{
    /// <summary>The name the carried base was added under (the bundle's, or --base-name), when <see cref="BaseAdded"/>.</summary>
    public string? BaseName { get; init; }
    /// <summary>Tags the bundle carried that are new here.</summary>
    public IReadOnlyList<string> TagsAdded { get; init; } = [];
    /// <summary>What was not applied and why (a tag of that name here points elsewhere and is kept).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Applies a bundle, trusting nothing in it. Every object is staged in a store of its own (whose fallback is the
/// receiver's, so deltas decode against either) and re-hashed; every version record, manifest and base entry is
/// parsed and checked to be complete; the base the versions need must be here or in the bundle. Only then are the
/// objects moved in (invisible until referenced) and the refs written under the lock. Any failure before that leaves
/// the receiver exactly as it was. Objects are named by their (checked) ids, never by a path from the bundle, so a
/// bundle cannot write outside the store.
/// </summary>
public static class BundleApplier
{
    /// <summary>The most a stored payload can expand: zlib's limit is about 1032:1; raw and deltas expand less.</summary>
    private const long MaxExpansion = 1100;

    /// <param name="baseName">the name to add a carried base under, when this store has another base of the bundle's name</param>
    /// <param name="repeat">the command the user repeats with --base-name, for the advice (default: cadre bundle apply FILE)</param>
    public static ApplyResult Apply(CadreStore store, string file, bool force = false, string? baseName = null, string? repeat = null)
    {
        if (!File.Exists(file)) throw new CadreException($"{file}: no such bundle");
        store.EnsureFormat(create: true);
        using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var header = BundleHeader.Read(input, input.Length, file);
        var payload = header.Objects.Sum(o => o.Length);
        var free = new DriveInfo(Path.GetFullPath(store.Root)).AvailableFreeSpace;
        if (payload + (64 << 20) > free)
            throw new CadreException($"{file}: needs {payload:N0} bytes but the store's disk has {free:N0} free");
        CheckPrerequisites(store, header, file);
        var baseAs = BaseNameHere(store, header, file, baseName, repeat ?? $"cadre bundle apply {file}");
        using var writing = StoreLock.Acquire(store.Root, StoreLock.ObjectsLock, shared: true);
        var stagingRoot = Path.Combine(store.Objects.TmpFolder, "bundle-" + Guid.NewGuid().ToString("N"));
        var staged = new ObjectStore(stagingRoot) { Fallback = store.Objects };
        try
        {
            var added = Stage(header, input, staged, file);
            var versions = Check(store, header, staged, file);
            foreach (var id in added) store.Objects.Install(staged.PathOf(id), id);
            var result = UpdateRefs(store, header, versions, force, file, added.Count, baseAs);
            if (result.BaseAdded) Materialize(store, header, baseAs);
            return result;
        }
        finally
        {
            if (Directory.Exists(stagingRoot)) Directory.Delete(stagingRoot, recursive: true);
        }
    }

    /// <summary>Copies each object the receiver lacks into the staging store and checks its header, size and hash.</summary>
    private static List<string> Stage(BundleHeader header, Stream input, ObjectStore staged, string file)
    {
        var added = new List<string>();
        var buffer = new byte[1 << 20];
        foreach (var o in header.Objects)
        {
            if (staged.Has(o.Id)) { Skip(input, o.Length, file); continue; }
            var path = staged.PathOf(o.Id);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                for (var left = o.Length; left > 0;)
                {
                    var n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (n == 0) throw new CadreException($"{file}: ends inside object {o.Id[..12]}");
                    output.Write(buffer, 0, n);
                    left -= n;
                }
                output.Flush(flushToDisk: true);
            }
            added.Add(o.Id);
        }
        foreach (var id in added)
        {
            ObjectHeader h;
            try { h = staged.ReadHeader(id); }
            catch (CadreException e) { throw new CadreException($"{file}: object {id[..12]} is corrupt ({e.Message}); nothing was applied"); }
            if (h.Codec is ObjectCodec.Deflate or ObjectCodec.ShuffleDeflate && h.Size > MaxExpansion * new FileInfo(staged.PathOf(id)).Length + (1 << 20))
                throw new CadreException($"{file}: object {id[..12]} claims {h.Size:N0} bytes from a far smaller payload");
            if (staged.Check(id) is { } problem)
                throw new CadreException($"{file}: object {id[..12]} is corrupt ({problem}); nothing was applied");
        }
        return added;
    }

    private static void Skip(Stream input, long length, string file)
    {
        if (input.CanSeek) { input.Seek(length, SeekOrigin.Current); return; }
        var buffer = new byte[1 << 16];
        for (var left = length; left > 0;)
        {
            var n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new CadreException($"{file}: truncated");
            left -= n;
        }
    }

    /// <summary>Every version, manifest and base entry parses, names this specialist and finds all it needs.</summary>
    private static void CheckPrerequisites(CadreStore store, BundleHeader header, string file)
    {
        foreach (var p in header.Prerequisites)
            if (!store.Refs.Versions(header.Specialist).Any(v => v.Id == p))
                throw new CadreException($"{file}: needs version {p[..12]} of '{header.Specialist}', which this store lacks (ask for a bundle --since a version it has, or without --since)");
    }

    /// <summary>
    /// The name a carried base will be added under, checked before anything changes: a base of that name here must hold
    /// the same content, or the carried base would be dropped and the specialist could not run. (A specialist finds its
    /// base by content when its named base holds other content: see <see cref="BaseCatalog.ForContent"/>.)
    /// </summary>
    private static string BaseNameHere(CadreStore store, BundleHeader header, string file, string? baseName, string repeat)
    {
        if (baseName is not null)
        {
            BaseCatalog.ValidateName(baseName);
            // Nothing to name when this store already holds the content (a pull or push then carries no base).
            if (header.BaseEntry is null && !HasContent(store, header.Base.ContentHash))
                throw new CadreException($"{file}: --base-name {baseName}: the bundle does not carry its base (it was written without --include-base)");
        }
        var name = baseName ?? header.Base.Name;
        if (header.BaseEntry is null || HasContent(store, header.Base.ContentHash))
            return name; // nothing will be added
        if (ContentOf(store, name) is { } other && other != header.Base.ContentHash)
            throw new CadreException($"{file}: carries base '{header.Base.Name}' with content {header.Base.ContentHash[..12]}, but base '{name}' here holds {other[..12]}; nothing was applied. "
                                     + $"Add the carried base under another name: {repeat} --base-name NEW");
        return name;
    }

    private static bool HasContent(CadreStore store, string hash) =>
        store.FindBase(new StoreBase("", "", hash)) is not null || new BaseCatalog(store.Home).List().Any(b => b.ContentHash == hash);

    /// <summary>The content hash of the base named <paramref name="name"/> here (imported or in the store), or null.</summary>
    private static string? ContentOf(CadreStore store, string name)
    {
        var catalog = new BaseCatalog(store.Home);
        if (catalog.Contains(name)) return catalog.Get(name).ContentHash;
        return store.Bases().FirstOrDefault(b => b.Name == name).Entry?.Base.ContentHash;
    }

    private static List<VersionInfo> Check(CadreStore store, BundleHeader header, ObjectStore staged, string file)
    {
        CheckPrerequisites(store, header, file);
        var versions = new List<VersionInfo>();
        var known = header.Prerequisites.ToHashSet(StringComparer.Ordinal);
        foreach (var id in header.Versions)
        {
            if (!staged.Has(id)) throw new CadreException($"{file}: version {id[..12]} is listed but not carried");
            var v = new VersionInfo(id, VersionRecord.Parse(staged.ReadAll(id, 1 << 20), $"{file}: version {id[..12]}"));
            if (v.Name != header.Specialist)
                throw new CadreException($"{file}: version {id[..12]} belongs to '{v.Name}', not '{header.Specialist}'");
            if (v.Record.Base.ContentHash != header.Base.ContentHash)
                throw new CadreException($"{file}: version {v.Number} needs another base than the bundle declares");
            foreach (var parent in v.Record.Parents)
                if (!known.Contains(parent) && !store.Refs.Versions(header.Specialist).Any(x => x.Id == parent))
                    throw new CadreException($"{file}: version {v.Number}'s parent {parent[..12]} is neither in the bundle nor in this store");
            RequireAll(staged, Snapshots.Read(staged, v.Record.Manifest), $"version {v.Number}", file);
            known.Add(id);
            versions.Add(v);
        }
        if (!known.Contains(header.Tip)) throw new CadreException($"{file}: its tip {header.Tip[..12]} is not among its versions or prerequisites");
        if (header.BaseEntry is { } entryId)
        {
            var entry = BaseEntry.Parse(staged.ReadAll(entryId, 1 << 20), $"{file}: base entry");
            if (entry.Base.ContentHash != header.Base.ContentHash) throw new CadreException($"{file}: the base it carries is not the base it declares");
            RequireAll(staged, Snapshots.Read(staged, entry.Manifest), "its base", file);
        }
        else if (store.FindBase(header.Base) is null && !new BaseCatalog(store.Home).List().Any(b => b.ContentHash == header.Base.ContentHash))
            throw new CadreException($"{file}: needs base '{header.Base.Name}' (content {header.Base.ContentHash[..12]}), which this store lacks; import it first, or bundle with --include-base");
        return versions;
    }

    private static void RequireAll(ObjectStore staged, Manifest manifest, string what, string file)
    {
        foreach (var id in manifest.ObjectIds())
            if (!staged.Has(id)) throw new CadreException($"{file}: {what} needs object {id[..12]}, which is neither in the bundle nor in this store");
    }

    private static ApplyResult UpdateRefs(CadreStore store, BundleHeader header, List<VersionInfo> versions, bool force, string file, int objects, string baseAs)
    {
        using var refs = StoreLock.Acquire(store.Root, StoreLock.RefsLock);
        var name = header.Specialist;
        var index = store.Refs.Versions(name).ToList();
        foreach (var v in versions)
        {
            var clash = index.FirstOrDefault(x => x.Number == v.Number);
            if (clash.Id is not null && clash.Id != v.Id)
                throw new CadreException($"{file}: version {v.Number} of '{name}' here is {clash.Id[..12]}, the bundle's is {v.ShortId}: the histories diverged; nothing was applied");
        }
        var tip = store.ReadVersion(header.Tip);
        var branchRef = $"specialists/{name}/heads/{header.Branch}";
        if (store.Refs.Read(branchRef) is { } current && current != tip.Id && !force && !store.IsAncestor(current, tip))
            throw new CadreException($"{file}: branch {header.Branch} of '{name}' has versions the bundle does not (not a fast-forward); apply with --force to move it anyway");
        var newVersions = versions.Where(v => !index.Any(x => x.Id == v.Id)).ToList();
        store.Refs.WriteVersions(name, index.Concat(newVersions.Select(v => (v.Number, v.Id))).OrderBy(x => x.Number));
        store.Refs.Write(branchRef, tip.Id);
        if (store.Refs.Read($"specialists/{name}/HEAD") is null)
            store.Refs.Write($"specialists/{name}/HEAD", $"ref: heads/{header.Branch}");
        var baseAdded = false;
        if (header.BaseEntry is { } entry && store.FindBase(header.Base) is null && store.Refs.Read($"bases/{baseAs}") is null)
        {
            store.Refs.Write($"bases/{baseAs}", entry);
            baseAdded = true;
        }
        var (tagsAdded, warnings) = ApplyTags(store, header, file);
        return new ApplyResult(name, header.Branch, tip, newVersions.Count, objects, baseAdded)
        {
            BaseName = baseAdded ? baseAs : null, TagsAdded = tagsAdded, Warnings = warnings,
        };
    }

    /// <summary>
    /// Writes the bundle's tags that are new here. A tag of that name that points elsewhere is the receiver's own
    /// decision and is kept (a warning says so); a tag at a version this store lacks is skipped. Refs lock held.
    /// </summary>
    private static (List<string> Added, List<string> Warnings) ApplyTags(CadreStore store, BundleHeader header, string file)
    {
        var (added, warnings) = (new List<string>(), new List<string>());
        var name = header.Specialist;
        var index = store.Refs.Versions(name);
        string Label(string id) => index.FirstOrDefault(v => v.Id == id) is { Id: not null } v ? $"version {v.Number} ({id[..12]})" : id[..12];
        foreach (var (tag, id) in (header.Tags ?? new Dictionary<string, string>()).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var path = $"specialists/{name}/tags/{tag}";
            var here = store.Refs.Read(path);
            if (here == id) continue;
            if (here is not null)
                warnings.Add($"{file}: tag '{tag}' of '{name}' here points at {Label(here)}, the bundle's at {Label(id)}; kept this store's (cadre tag {name}@{id[..12]} {tag} --force moves it)");
            else if (!index.Any(v => v.Id == id))
                warnings.Add($"{file}: tag '{tag}' points at version {id[..12]}, which this store lacks; skipped");
            else
            {
                store.Refs.Write(path, id);
                added.Add(tag);
            }
        }
        return (added, warnings);
    }

    /// <summary>A base that arrived in a bundle becomes an imported base too (its folder under CADRE_HOME/bases).</summary>
    private static void Materialize(CadreStore store, BundleHeader header, string baseAs)
    {
        var catalog = new BaseCatalog(store.Home);
        if (catalog.Contains(baseAs)) return;
        var staging = catalog.CreateStaging();
        try
        {
            Snapshots.Materialize(store.Objects, BaseEntry.Parse(store.Objects.ReadAll(header.BaseEntry!, 1 << 20), "base entry").Manifest, staging);
            var record = Path.Combine(staging, BaseRecord.FileName);
            if (baseAs != header.Base.Name && File.Exists(record) && System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record)) is System.Text.Json.Nodes.JsonObject json)
            {
                json["name"] = baseAs; // the snapshot's base.json names it as the sender did; here it goes by --base-name
                File.WriteAllText(record, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            }
            Directory.CreateDirectory(catalog.BasesFolder);
            Directory.Move(staging, catalog.FolderOf(baseAs));
        }
        finally { StagingLease.Release(staging); } // removes what a failure left
    }
}
