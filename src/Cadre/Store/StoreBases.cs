namespace Cadre.Store;

/// <summary>Bases in the store: <c>refs/bases/NAME</c> names a <see cref="BaseEntry"/> (identity + snapshot).</summary>
public sealed partial class CadreStore
{
    /// <summary>Stores a base folder's files once (equal tensors are shared with any other base) and names it.</summary>
    public string CommitBase(string name, string folder, StoreBase identity, IProgress<Util.ProgressUpdate>? progress = null)
    {
        Refs.CheckName(name, "base");
        EnsureFormat(create: true);
        using var writing = StoreLock.Acquire(Root, StoreLock.ObjectsLock, shared: true);
        var manifest = Snapshots.Commit(Objects, folder, progress: progress);
        var id = Objects.PutBlob(new BaseEntry { Base = identity, Manifest = manifest }.ToBytes());
        using var refs = StoreLock.Acquire(Root, StoreLock.RefsLock);
        Refs.Write($"bases/{name}", id);
        return id;
    }

    /// <summary>The stored base with this content hash (any name), or null.</summary>
    public BaseEntry? FindBase(StoreBase identity)
    {
        foreach (var name in Refs.List("bases"))
        {
            if (Refs.Read($"bases/{name}") is not { } id || !Objects.Has(id)) continue;
            var entry = BaseEntry.Parse(Objects.ReadAll(id, 1 << 20), $"base {name}");
            if (entry.Base.ContentHash == identity.ContentHash) return entry;
        }
        return null;
    }

    /// <summary>The entry ids of stored bases, by name.</summary>
    public IReadOnlyList<(string Name, string Id, BaseEntry Entry)> Bases() => Refs.List("bases")
        .Select(n => (n, Refs.Read($"bases/{n}")))
        .Where(p => p.Item2 is { } id && Objects.Has(id))
        .Select(p => (p.n, p.Item2!, BaseEntry.Parse(Objects.ReadAll(p.Item2!, 1 << 20), $"base {p.n}")))
        .ToList();
}
