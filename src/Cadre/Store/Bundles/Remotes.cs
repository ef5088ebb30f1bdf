namespace Cadre.Store.Bundles;

/// <summary>
/// <c>cadre push</c> and <c>cadre pull</c> between this store and another store folder (another CADRE_HOME, or its
/// <c>store</c> folder). Both go through a bundle holding exactly what the receiver lacks (asked of the receiver's
/// objects one id at a time), with the base when the receiver does not hold it; the receiver applies it with every
/// check <see cref="BundleApplier"/> makes, so pulling from a folder one does not trust is as safe as applying a
/// bundle from it.
/// </summary>
public static class Remotes
{
    /// <summary>The CADRE_HOME a path names: the folder itself, or the parent of a <c>store</c> folder holding store.json.</summary>
    public static string HomeOf(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(full, "store.json")) && Path.GetFileName(full) == "store")
            return Path.GetDirectoryName(full)!;
        return full;
    }

    public static ApplyResult Transfer(CadreStore from, CadreStore to, VersionSpec what, bool force = false, string? baseName = null)
    {
        if (Path.GetFullPath(from.Root) == Path.GetFullPath(to.Root))
            throw new CadreException("the source and the destination are the same store");
        var tip = from.Resolve(what);
        var includeBase = to.FindBase(tip.Record.Base) is null && from.FindBase(tip.Record.Base) is not null
                          && !new BaseCatalog(to.Home).List().Any(b => b.ContentHash == tip.Record.Base.ContentHash);
        // Beside the store, not in store/tmp, which gc empties; held so that gc leaves it alone while we run.
        using var lease = StagingLease.Create(to.Home, "transfer", folder: false, suffix: ".bundle");
        var file = lease.Path;
        BundleWriter.Write(from, tip, since: null, includeBase, file, receiverHas: to.Objects.HasLocal,
                           branch: what.Rev is { } rev && from.Branches(what.Name).Any(b => b.Name == rev) ? rev : null);
        return BundleApplier.Apply(to, file, force, baseName, repeat: "the same pull or push with");
    }
}
