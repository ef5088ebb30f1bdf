namespace Cadre.Store.Bundles;

/// <summary>What applying a bundle changed.</summary>
public sealed record ApplyResult(string Specialist, string Branch, VersionInfo Tip, int NewVersions, int NewObjects, bool BaseAdded);

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

    public static ApplyResult Apply(CadreStore store, string file, bool force = false)
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
        using var writing = StoreLock.Acquire(store.Root, StoreLock.ObjectsLock, shared: true);
        var stagingRoot = Path.Combine(store.Objects.TmpFolder, "bundle-" + Guid.NewGuid().ToString("N"));
        var staged = new ObjectStore(stagingRoot) { Fallback = store.Objects };
        try
        {
            var added = Stage(header, input, staged, file);
            var versions = Check(store, header, staged, file);
            foreach (var id in added) store.Objects.Install(staged.PathOf(id), id);
            var result = UpdateRefs(store, header, versions, force, file, added.Count);
            if (result.BaseAdded) Materialize(store, header);
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

    private static ApplyResult UpdateRefs(CadreStore store, BundleHeader header, List<VersionInfo> versions, bool force, string file, int objects)
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
        if (header.BaseEntry is { } entry && store.FindBase(header.Base) is null && store.Refs.Read($"bases/{header.Base.Name}") is null)
        {
            store.Refs.Write($"bases/{header.Base.Name}", entry);
            baseAdded = true;
        }
        return new ApplyResult(name, header.Branch, tip, newVersions.Count, objects, baseAdded);
    }

    /// <summary>A base that arrived in a bundle becomes an imported base too (its folder under CADRE_HOME/bases).</summary>
    private static void Materialize(CadreStore store, BundleHeader header)
    {
        var catalog = new BaseCatalog(store.Home);
        if (catalog.Contains(header.Base.Name)) return;
        var staging = catalog.CreateStaging();
        try
        {
            Snapshots.Materialize(store.Objects, BaseEntry.Parse(store.Objects.ReadAll(header.BaseEntry!, 1 << 20), "base entry").Manifest, staging);
            Directory.CreateDirectory(catalog.BasesFolder);
            Directory.Move(staging, catalog.FolderOf(header.Base.Name));
        }
        finally { StagingLease.Release(staging); } // removes what a failure left
    }
}
