using System.Security.Cryptography;

namespace Cadre.Store.Git;

/// <summary>
/// The Cadre store that a git repository's checkpoints live in, and the repository's roots in it. Git keeps only
/// the small manifests; the tensors are store objects that no store ref names, so <c>cadre gc</c> would take them
/// for garbage. Every manifest the filter writes or checks out is therefore recorded as a root,
/// <c>refs/git/REPO/roots/ID</c> (ID: the store manifest of that checkpoint), which gc and verify follow like any
/// other ref; <see cref="GitPrune"/> drops the roots that no commit, reflog entry or index of the repository needs.
/// REPO is a random id kept in the repository's config (<c>cadre.repository</c>), so moving the repository keeps its
/// roots, and two clones sharing one store keep each other's objects; a copy made with cp -r (same config) gets a new
/// id on first use.
/// </summary>
public sealed class GitStore
{
    public const string HomeKey = "cadre.home";
    public const string RepositoryKey = "cadre.repository";

    private GitStore(GitRepository repository, CadreStore store, string repositoryId)
    {
        Repository = repository;
        Store = store;
        RepositoryId = repositoryId;
    }

    public GitRepository Repository { get; }
    public CadreStore Store { get; }
    public ObjectStore Objects => Store.Objects;
    public string RepositoryId { get; }

    private string RootsFolder => $"git/{RepositoryId}/roots";

    /// <summary>
    /// The store at <c>git config cadre.home</c> (relative to the work tree's top) when set, else at
    /// <paramref name="defaultHome"/> (CADRE_HOME); creates the repository's id on first use.
    /// </summary>
    public static GitStore Open(GitRepository repository, string defaultHome)
    {
        var configured = repository.Config(HomeKey, path: true);
        var home = string.IsNullOrWhiteSpace(configured) ? defaultHome : Path.GetFullPath(configured, repository.Top);
        var id = repository.Config(RepositoryKey);
        if (id is null)
        {
            id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            repository.SetConfig(RepositoryKey, id);
        }
        if (id.Length != 32 || !id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            throw new CadreException($"{repository.Top}: git config {RepositoryKey} is '{id}', not 32 lower-case hex digits (remove it and Cadre makes a new one)");
        var store = new CadreStore(home);
        store.EnsureFormat(create: true);
        if (IsCopy(repository, store, id))
        {
            id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            repository.SetConfig(RepositoryKey, id);
        }
        if (store.Refs.Read($"git/{id}/repository") != repository.GitDir) // new, or moved
            using (StoreLock.Acquire(store.Root, StoreLock.RefsLock))
                store.Refs.Write($"git/{id}/repository", repository.GitDir);
        return new GitStore(repository, store, id);
    }

    /// <summary>
    /// True when the id is recorded for another repository that still exists with that id: this one is a copy of
    /// it (cp -r copies .git/config), and sharing the id would let either's prune drop roots the other needs.
    /// </summary>
    private static bool IsCopy(GitRepository repository, CadreStore store, string id)
    {
        var recorded = store.Refs.Read($"git/{id}/repository");
        if (recorded is null || recorded == repository.GitDir || !Directory.Exists(recorded)) return false;
        var theirs = GitRepository.Run(repository.Top, ["config", "--file", Path.Combine(recorded, "config"), "--get", RepositoryKey]);
        return theirs.ExitCode == 0 && theirs.Text.Trim() == id;
    }

    /// <summary>Held while writing objects that are not yet rooted: <c>cadre gc</c> waits for it.</summary>
    public IDisposable WriteLock() => StoreLock.Acquire(Store.Root, StoreLock.ObjectsLock, shared: true);

    /// <summary>A fresh temporary file in the store's tmp folder (gc empties it, so write it under <see cref="WriteLock"/>).</summary>
    public string NewTemporaryFile()
    {
        Directory.CreateDirectory(Objects.TmpFolder);
        return Path.Combine(Objects.TmpFolder, "git-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>Records <paramref name="manifest"/> as a root of this repository (once). Call under <see cref="WriteLock"/>.</summary>
    public void RecordRoot(GitManifest manifest)
    {
        var id = Objects.PutBlob(manifest.ToStoreManifest());
        if (Store.Refs.Read($"{RootsFolder}/{id}") is not null) return;
        using var refs = StoreLock.Acquire(Store.Root, StoreLock.RefsLock);
        Store.Refs.Write($"{RootsFolder}/{id}", id);
    }

    /// <summary>This repository's roots: store manifest id and when it was recorded.</summary>
    public IReadOnlyList<(string Id, DateTime RecordedUtc)> Roots() =>
        Store.Refs.List(RootsFolder).Where(ObjectIds.IsValid)
            .Select(id => (id, File.GetLastWriteTimeUtc(Path.Combine(Store.Refs.Folder, RootsFolder, id)))).ToList();

    internal void RemoveRoot(string id) => Store.Refs.Delete($"{RootsFolder}/{id}");

    /// <summary>The checkpoint <paramref name="what"/> names, read from git: its manifest, or null when git holds other bytes.</summary>
    public GitManifest? ManifestAt(string revision, string what)
    {
        var bytes = Repository.ReadBlob(revision, Manifest.MaxBytes);
        return bytes is not null && GitManifest.LooksLike(bytes) ? GitManifest.Parse(bytes, what) : null;
    }

    /// <summary>The error for a checkpoint whose objects this store lacks, saying where to get them.</summary>
    public CadreException MissingObjects(string path, IReadOnlyList<string> missing) => new(
        $"{path}: {missing.Count} object{(missing.Count == 1 ? "" : "s")} missing from the store at {Store.Root} "
        + $"(first: {missing[0]}); fetch them with 'cadre pull', or point 'git config {HomeKey}' at the Cadre home that has them "
        + $"({GitFilter.SkipSmudgeVariable}=1 checks out the manifests instead)");
}
