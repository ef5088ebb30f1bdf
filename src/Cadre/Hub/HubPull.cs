using Cadre.Util;

namespace Cadre.Hub;

/// <summary>A repository's files at one commit, complete in the hub cache.</summary>
/// <param name="Folder">the snapshot folder, <c>HF_HUB_CACHE/models--ORG--NAME/snapshots/COMMIT</c></param>
/// <param name="Files">the repository paths a base import needs, all present in the folder</param>
public sealed record HubSnapshot(HubRepoId Repo, string Revision, string Commit, string Folder, IReadOnlyList<string> Files)
{
    /// <summary>Files transferred by this pull (the others were in the cache already).</summary>
    public int Downloaded { get; init; }
    public long DownloadedBytes { get; init; }

    /// <summary>Why the Hub was not asked (offline, unreachable); null when it was.</summary>
    public string? CacheOnly { get; init; }
}

/// <summary>
/// <c>cadre base pull</c>'s download: resolves the revision to a commit, lists the repository's files there, picks
/// those a base import reads (<see cref="HubFileSelection"/>), and brings each into the hub cache unless the
/// snapshot has it already: a blob the cache holds under the file's ETag is linked, not downloaded again.
/// Offline (HF_HUB_OFFLINE), or when the Hub cannot be reached, the revision is resolved through <c>refs/</c> and the
/// snapshot must hold the files already.
/// </summary>
public static class HubPull
{
    public const string Stage = "download";

    public static HubSnapshot Pull(HubSettings settings, string repoId, string? revision, IProgress<ProgressUpdate>? progress, CancellationToken cancel)
    {
        var repo = HubRepoId.Parse(repoId);
        revision ??= "main";
        var cache = new HubCache(settings.Cache, repo);
        if (settings.Offline)
            return FromCache(cache, revision, "HF_HUB_OFFLINE is set")
                ?? throw new CadreException($"{repo} (revision {revision}) is not in the Hugging Face cache ({cache.Folder}), and HF_HUB_OFFLINE is set, "
                    + "so nothing is downloaded: pull it once with network access, or unset HF_HUB_OFFLINE");
        using var api = new HubApi(settings, repo);
        string commit;
        try
        {
            commit = api.ResolveCommit(revision, cancel);
        }
        catch (CadreException e) when (e.InnerException is not null && HubErrors.IsUnreachable(e.InnerException))
        {
            // As huggingface_hub: with no answer at all, what the cache holds for the revision still serves.
            if (FromCache(cache, revision, $"the Hub is unreachable ({HubErrors.Reason(e.InnerException)})") is { } cached)
                return cached;
            throw;
        }
        var files = api.ListFiles(commit, cancel);
        var downloader = new HubBlobDownload(api, cache, settings);
        var (count, moved) = (0, 0L);
        void Ensure(HubFile file, Action<long> bytes)
        {
            if (cache.Has(commit, file.Path))
                return;
            var metadata = api.Head(commit, file.Path, cancel);
            if (metadata.Commit != commit)
                throw new CadreException($"{repo}: asked for {file.Path} at commit {commit}, the Hub answered for {metadata.Commit}; nothing was linked");
            if (!File.Exists(cache.Blob(metadata.Etag)))
            {
                cache.Tag();
                moved += downloader.Fetch(file, metadata, bytes, cancel);
                count++;
            }
            cache.Link(commit, file.Path, metadata.Etag);
        }

        var selected = HubFileSelection.Select(files, file =>
        {
            Ensure(file, _ => { }); // modules.json and the index: small, and needed to know what else to fetch
            return File.ReadAllBytes(cache.Pointer(commit, file.Path));
        }, repo, revision);
        var missing = selected.Where(f => !cache.Has(commit, f.Path)).ToList();
        bool ToDownload(HubFile f) => f.ExpectedEtag is not { } etag || !File.Exists(cache.Blob(etag));
        var total = missing.Where(ToDownload).Sum(f => f.Size);
        long done = 0;
        foreach (var file in missing)
        {
            cancel.ThrowIfCancellationRequested();
            var counted = ToDownload(file);
            long reported = 0;
            void Report(long delta)
            {
                (done, reported) = (done + delta, reported + delta);
                progress?.Report(new ProgressUpdate(Stage, Math.Clamp(done, 0, total), total, "bytes") { Detail = file.Path });
            }
            Ensure(file, Report);
            if (counted && reported != file.Size)
                Report(file.Size - reported); // another process brought it in while this one waited for the lock
        }
        cache.WriteRef(revision, commit);
        return new HubSnapshot(repo, revision, commit, cache.Snapshot(commit), [.. selected.Select(f => f.Path)])
        {
            Downloaded = count, DownloadedBytes = moved,
        };
    }

    /// <summary>The revision's snapshot from the cache alone, or null when the cache has never resolved the revision.</summary>
    private static HubSnapshot? FromCache(HubCache cache, string revision, string why)
    {
        var commit = HubCache.IsCommit(revision) ? revision : cache.ReadRef(revision);
        if (commit is null || !Directory.Exists(cache.Snapshot(commit)))
            return null;
        var folder = cache.Snapshot(commit);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(File.Exists) // a link whose blob is gone does not count
            .Select(f => new HubFile(Path.GetRelativePath(folder, f).Replace('\\', '/'), new FileInfo(f).Length, null, null))
            .ToList();
        try
        {
            var selected = HubFileSelection.Select(files, f => File.ReadAllBytes(cache.Pointer(commit, f.Path)), cache.Repo, revision);
            return new HubSnapshot(cache.Repo, revision, commit, folder, [.. selected.Select(f => f.Path)]) { CacheOnly = why };
        }
        catch (CadreException e)
        {
            throw new CadreException($"{e.Message} (in the Hugging Face cache at {folder}; {why}, so nothing was downloaded)", e);
        }
    }
}
