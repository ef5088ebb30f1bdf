using System.Text.RegularExpressions;

namespace Cadre.Hub;

/// <summary>
/// One repository's folder in the hub cache, laid out as huggingface_hub lays it out, so either tool reuses what
/// the other downloaded:
/// <code>
/// HF_HUB_CACHE/models--ORG--NAME/blobs/ETAG                  the content (ETAG.incomplete while downloading)
///                                /snapshots/COMMIT/PATH        relative symbolic links to ../../blobs/ETAG
///                                /refs/REVISION                the commit a branch or tag was last seen at
/// HF_HUB_CACHE/.locks/models--ORG--NAME/ETAG.lock                flock while a blob is written (Python's filelock takes the same)
/// </code>
/// </summary>
public sealed partial class HubCache(string cache, HubRepoId repo)
{
    public string Root { get; } = cache;
    public HubRepoId Repo { get; } = repo;
    public string Folder => Path.Combine(Root, Repo.CacheFolderName);

    public static bool IsCommit(string revision) => CommitPattern().IsMatch(revision);

    public string Blob(string etag) => Path.Combine(Folder, "blobs", RequireEtag(etag));
    public string Incomplete(string etag) => Blob(etag) + ".incomplete";
    public string Lock(string etag) => Path.Combine(Root, ".locks", Repo.CacheFolderName, RequireEtag(etag) + ".lock");
    public string Snapshot(string commit) => Path.Combine(Folder, "snapshots", commit);

    /// <summary>The snapshot's entry for a repository path; a path that would leave the snapshot is refused.</summary>
    public string Pointer(string commit, string path)
    {
        var parts = path.Split('/');
        if (path.Length == 0 || path.Contains('\\') || parts.Any(p => p is "" or "." or ".."))
            throw new CadreException($"{Repo}: the Hub lists a file named '{CadreException.Shown(path)}', which is not a safe relative path; nothing was written");
        return Path.Combine([Snapshot(commit), .. parts]);
    }

    /// <summary>True when the snapshot has the file (its link resolves to a blob).</summary>
    public bool Has(string commit, string path) => File.Exists(Pointer(commit, path));

    /// <summary>The commit <c>refs/REVISION</c> holds, or null when the revision was never resolved here.</summary>
    public string? ReadRef(string revision)
    {
        var path = RefPath(revision);
        if (!File.Exists(path))
            return null;
        var commit = File.ReadAllText(path).Trim();
        return IsCommit(commit) ? commit : null;
    }

    /// <summary>Records that <paramref name="revision"/> (a branch or tag) is at <paramref name="commit"/>; written whole, then renamed.</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit || ReadRef(revision) == commit)
            return;
        var path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, commit); // no newline, as huggingface_hub writes it
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Points the snapshot's entry for <paramref name="path"/> at the blob, by a relative link as huggingface_hub makes it.</summary>
    public void Link(string commit, string path, string etag)
    {
        var pointer = Pointer(commit, path);
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        var target = Path.GetRelativePath(Path.GetDirectoryName(pointer)!, Blob(etag));
        if (new FileInfo(pointer).LinkTarget == target)
            return;
        File.Delete(pointer);
        File.CreateSymbolicLink(pointer, target);
    }

    /// <summary>Marks the cache for backup tools (the CACHEDIR.TAG standard, as huggingface_hub does); best effort.</summary>
    public void Tag()
    {
        try
        {
            var tag = Path.Combine(Root, "CACHEDIR.TAG");
            if (!File.Exists(tag))
                File.WriteAllText(tag, "Signature: 8a477f597d28d172789f06886806bc55\n# The Hugging Face hub cache (huggingface_hub, cadre base pull).\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private string RefPath(string revision)
    {
        var parts = revision.Split('/');
        if (parts.Any(p => p is "" or "." or ".."))
            throw new CadreException($"'{CadreException.Shown(revision)}' is not a revision (a branch, tag or commit)");
        return Path.Combine([Folder, "refs", .. parts]);
    }

    /// <summary>ETags become file names: only what a hash can hold.</summary>
    private string RequireEtag(string etag) => EtagPattern().IsMatch(etag) ? etag
        : throw new CadreException($"{Repo}: the Hub answered with an ETag '{CadreException.Shown(etag)}' that cannot name a file in the cache");

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex EtagPattern();
}
