namespace Cadre.Store.Bundles;

/// <summary>What a bundle holds, for the summary the CLI prints.</summary>
public sealed record BundleSummary(string Specialist, int Versions, int Objects, long Bytes, bool WithBase, string? Since)
{
    /// <summary>The tags that travel (those on a version of the bundled history).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>
/// Writes bundles: the versions of one specialist after <c>since</c> (all of them without it) up to a tip, and every
/// object they need that the receiver lacks. Objects travel as stored, so a tensor changed in a few elements travels
/// as its sparse delta, a nudged one as its XOR delta, an unchanged one not at all. Delta chains are closed: an
/// object's delta base travels too unless the receiver is known to hold it.
/// </summary>
public static class BundleWriter
{
    /// <param name="receiverHas">Extra knowledge of the receiver (push and pull ask its store); null: only what <paramref name="since"/> implies.</param>
    public static BundleSummary Write(CadreStore store, VersionInfo tip, VersionInfo? since, bool includeBase, string output,
                                      Func<string, bool>? receiverHas = null, string? branch = null)
    {
        if (since is not null && !store.IsAncestor(since.Id, tip))
            throw new CadreException($"{since.Name}@{since.Number} is not an ancestor of {tip.Name}@{tip.Number}; a bundle --since must name an earlier version of the same line");
        var known = new HashSet<string>(StringComparer.Ordinal);
        if (since is not null)
            foreach (var v in store.Log(since)) AddVersion(store, v, known);
        var entry = store.FindBase(tip.Record.Base);
        if (includeBase && entry is null)
            throw new CadreException($"base '{tip.Record.Base.Name}' (content {tip.Record.Base.ContentHash[..12]}) is not in this store; it cannot travel with the bundle");
        string? entryId = null;
        if (entry is not null)
        {
            entryId = store.Bases().First(b => b.Entry.Base.ContentHash == tip.Record.Base.ContentHash).Id;
            if (!includeBase) AddBase(store, entryId, entry, known);
        }
        var history = store.Log(tip);
        var versions = history.Where(v => !known.Contains(v.Id)).Reverse().ToList();
        // Tags on any version of the tip's history travel, also on versions the receiver already holds (--since):
        // a tag is a name the sender gave, and it is as meaningful there as here.
        var inHistory = history.Select(v => v.Id).ToHashSet(StringComparer.Ordinal);
        var tags = store.Tags(tip.Name).Where(t => inHistory.Contains(t.Id)).ToDictionary(t => t.Name, t => t.Id, StringComparer.Ordinal);
        var needed = new List<string>();
        var seen = new HashSet<string>(known, StringComparer.Ordinal);
        void Need(string id)
        {
            if (!seen.Add(id) || receiverHas?.Invoke(id) == true) return;
            needed.Add(id);
            if (store.Objects.ReadHeader(id).Base is { } deltaBase) Need(deltaBase);
        }
        foreach (var v in versions)
        {
            Need(v.Id);
            Need(v.Record.Manifest);
            foreach (var o in store.ReadManifest(v).ObjectIds()) Need(o);
        }
        if (includeBase)
        {
            Need(entryId!);
            Need(entry!.Manifest);
            foreach (var o in Snapshots.Read(store.Objects, entry.Manifest).ObjectIds()) Need(o);
        }
        var header = new BundleHeader
        {
            Specialist = tip.Name, Branch = branch ?? store.CurrentBranch(tip.Name) ?? CadreStore.DefaultBranch, Tip = tip.Id,
            Versions = versions.Select(v => v.Id).ToList(),
            Prerequisites = since is null ? [] : [since.Id],
            Base = tip.Record.Base, BaseEntry = includeBase ? entryId : null,
            Objects = needed.Select(id => new BundleObject(id, store.Objects.StoredSize(id))).ToList(),
            Tags = tags,
        };
        var tmp = output + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                header.WriteTo(file);
                foreach (var o in header.Objects)
                {
                    using var stored = store.Objects.OpenStored(o.Id);
                    if (stored.Length != o.Length) throw new CadreException($"object {o.Id[..12]} changed size while being bundled");
                    stored.CopyTo(file, 1 << 20);
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(tmp, output, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
        return new BundleSummary(tip.Name, versions.Count, header.Objects.Count, new FileInfo(output).Length, includeBase, since?.Id)
        {
            Tags = [.. tags.Keys.Order(StringComparer.Ordinal)],
        };
    }

    private static void AddVersion(CadreStore store, VersionInfo v, HashSet<string> known)
    {
        known.Add(v.Id);
        known.Add(v.Record.Manifest);
        foreach (var o in store.ReadManifest(v).ObjectIds()) AddWithChain(store, o, known);
    }

    private static void AddBase(CadreStore store, string entryId, BaseEntry entry, HashSet<string> known)
    {
        known.Add(entryId);
        known.Add(entry.Manifest);
        foreach (var o in Snapshots.Read(store.Objects, entry.Manifest).ObjectIds()) AddWithChain(store, o, known);
    }

    private static void AddWithChain(CadreStore store, string id, HashSet<string> known)
    {
        while (known.Add(id) && store.Objects.ReadHeader(id).Base is { } deltaBase)
            id = deltaBase;
    }
}
