namespace Cadre.Store;

/// <summary>Branches, tags, checkout and the materialized folders of versions.</summary>
public sealed partial class CadreStore
{
    public IReadOnlyList<(string Name, string Id)> Branches(string name) => RefsUnder(name, "heads");

    public IReadOnlyList<(string Name, string Id)> Tags(string name) => RefsUnder(name, "tags");

    private List<(string Name, string Id)> RefsUnder(string name, string kind) =>
        Refs.List($"specialists/{Refs.CheckName(name)}/{kind}")
            .Select(r => (r, Refs.Read($"specialists/{name}/{kind}/{r}") ?? ""))
            .Where(p => ObjectIds.IsValid(p.Item2)).ToList();

    /// <summary>Creates branch <paramref name="branch"/> at <paramref name="at"/>; an existing branch is an error.</summary>
    public void CreateBranch(string name, string branch, VersionInfo at) => CreateRef(name, "heads", branch, at, "branch", force: false);

    /// <summary>Tags <paramref name="at"/>; moving an existing tag needs <paramref name="force"/>.</summary>
    public void CreateTag(string name, string tag, VersionInfo at, bool force) => CreateRef(name, "tags", tag, at, "tag", force);

    private void CreateRef(string name, string kind, string refName, VersionInfo at, string what, bool force)
    {
        Refs.CheckRefName(refName, what);
        using var refs = StoreLock.Acquire(Root, StoreLock.RefsLock);
        var path = $"specialists/{name}/{kind}/{refName}";
        if (!force && Refs.Read(path) is { } existing)
            throw new CadreException($"{name}: {what} '{refName}' already exists (at {existing[..12]})" + (kind == "tags" ? "; use --force to move it" : ""));
        Refs.Write(path, at.Id);
    }

    public void DeleteBranch(string name, string branch)
    {
        Refs.CheckRefName(branch, "branch");
        using var refs = StoreLock.Acquire(Root, StoreLock.RefsLock);
        if (CurrentBranch(name) == branch)
            throw new CadreException($"{name}: cannot delete branch '{branch}': HEAD is on it (check out another first)");
        if (!Refs.Delete($"specialists/{name}/heads/{branch}"))
            throw new CadreException($"{name}: no branch '{branch}'");
    }

    public void DeleteTag(string name, string tag)
    {
        Refs.CheckRefName(tag, "tag");
        using var refs = StoreLock.Acquire(Root, StoreLock.RefsLock);
        if (!Refs.Delete($"specialists/{name}/tags/{tag}"))
            throw new CadreException($"{name}: no tag '{tag}'");
    }

    /// <summary>
    /// Moves HEAD: onto the branch when <paramref name="rev"/> names one (later versions extend it), else detached at
    /// the version (later versions extend from it without moving any branch). Materializes the version's folder.
    /// </summary>
    public VersionInfo Checkout(string name, string rev)
    {
        var version = Resolve(name, rev);
        var onBranch = Refs.Read($"specialists/{name}/tags/{rev}") is null && Refs.Read($"specialists/{name}/heads/{rev}") is not null;
        FolderOf(version); // before HEAD moves: a failed materialization leaves HEAD where it was
        using (StoreLock.Acquire(Root, StoreLock.RefsLock))
            Refs.Write($"specialists/{name}/HEAD", onBranch ? $"ref: heads/{rev}" : version.Id);
        return version;
    }

    /// <summary>
    /// The folder holding <paramref name="version"/>'s files, materialized on first use into a staging folder and
    /// renamed into place, so a reader sees a whole folder or none.
    /// </summary>
    public string FolderOf(VersionInfo version)
    {
        var folder = Path.Combine(CheckoutsFolder, version.Id);
        if (Directory.Exists(folder)) return folder;
        using var writing = StoreLock.Acquire(Root, StoreLock.ObjectsLock, shared: true); // gc clears tmp
        if (Directory.Exists(folder)) return folder;
        Directory.CreateDirectory(Objects.TmpFolder);
        var staging = Path.Combine(Objects.TmpFolder, "checkout-" + Guid.NewGuid().ToString("N"));
        try
        {
            Snapshots.Materialize(Objects, version.Record.Manifest, staging);
            Directory.CreateDirectory(CheckoutsFolder);
            try { Directory.Move(staging, folder); }
            catch (IOException) when (Directory.Exists(folder)) { Directory.Delete(staging, recursive: true); }
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
        return folder;
    }

    /// <summary>Moves a folder that holds exactly <paramref name="version"/>'s files into place as its checkout.</summary>
    internal void Adopt(VersionInfo version, string folder)
    {
        var target = Path.Combine(CheckoutsFolder, version.Id);
        if (Directory.Exists(target)) return;
        Directory.CreateDirectory(CheckoutsFolder);
        try { Directory.Move(folder, target); }
        catch (IOException) when (Directory.Exists(target)) { }
    }

    /// <summary>Forgets a specialist: its HEAD, branches, tags and version index. gc then reclaims what only it used.</summary>
    public void Remove(string name)
    {
        Refs.CheckName(name);
        using var refs = StoreLock.Acquire(Root, StoreLock.RefsLock);
        var folder = Path.Combine(Refs.Folder, "specialists", name);
        if (!Directory.Exists(folder)) throw new CadreException($"unknown specialist '{name}'");
        var trash = Path.Combine(Objects.TmpFolder, "removed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Objects.TmpFolder);
        Directory.Move(folder, trash); // one rename: the specialist is gone whole or not at all
        Directory.Delete(trash, recursive: true);
    }
}
