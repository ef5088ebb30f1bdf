namespace Cadre.Store.Git;

/// <summary>What <see cref="GitPrune.Run"/> found and did.</summary>
public sealed record GitPruneReport(
    int Needed, int Kept, int Dropped, int Young, int Restored, IReadOnlyList<string> Missing, IReadOnlyList<string> Malformed);

/// <summary>
/// Keeps a repository's roots equal to what it needs: every checkpoint manifest in a blob reachable from any ref,
/// any reflog entry or any index (<c>git rev-list --objects --all --reflog --indexed-objects</c>). Roots nothing
/// needs are dropped (then <c>cadre gc</c> reclaims their objects), except those recorded within the grace period:
/// a clean that ran a moment ago may belong to a <c>git add</c> that has not yet written the index. Needed manifests
/// without a root whose objects are present get one back.
/// </summary>
public static class GitPrune
{
    public static GitPruneReport Run(GitStore git, TimeSpan grace, bool dryRun)
    {
        var (needed, malformed) = NeededManifests(git.Repository);
        using var writing = git.WriteLock();
        var neededIds = new Dictionary<string, (string Path, GitManifest Manifest)>(StringComparer.Ordinal);
        foreach (var n in needed) neededIds.TryAdd(n.Manifest.StoreManifestId, n);
        int kept = 0, dropped = 0, young = 0, restored = 0;
        var rooted = new HashSet<string>(StringComparer.Ordinal);
        var cutoff = DateTime.UtcNow - grace;
        using (StoreLock.Acquire(git.Store.Root, StoreLock.RefsLock))
            foreach (var (id, recorded) in git.Roots())
            {
                rooted.Add(id);
                if (neededIds.ContainsKey(id)) kept++;
                else if (recorded > cutoff) young++;
                else
                {
                    dropped++;
                    if (!dryRun) git.RemoveRoot(id);
                }
            }
        var missing = new List<string>();
        foreach (var (id, (path, manifest)) in neededIds.OrderBy(p => p.Value.Path, StringComparer.Ordinal))
        {
            var lacking = manifest.MissingObjects(git.Objects);
            if (lacking.Count > 0) missing.Add($"{path} ({lacking.Count} objects, first {lacking[0][..12]})");
            else if (!rooted.Contains(id))
            {
                restored++;
                if (!dryRun) git.RecordRoot(manifest);
            }
        }
        return new GitPruneReport(neededIds.Count, kept, dropped, young, restored, missing, malformed);
    }

    /// <summary>Every distinct checkpoint manifest the repository's history and indexes hold, with one path each.</summary>
    public static (List<(string Path, GitManifest Manifest)> Manifests, List<string> Malformed) NeededManifests(GitRepository repository)
    {
        var listing = repository.Git("rev-list", "--objects", "--all", "--reflog", "--indexed-objects");
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ');
            var id = space < 0 ? line : line[..space];
            paths.TryAdd(id, space < 0 ? "" : line[(space + 1)..]);
        }
        var manifests = new List<(string, GitManifest)>();
        var malformed = new List<string>();
        foreach (var (id, (_, content)) in repository.ReadBlobs(paths.Keys, Manifest.MaxBytes))
        {
            if (content is null || !GitManifest.LooksLike(content)) continue;
            var path = paths.GetValueOrDefault(id, "");
            try { manifests.Add((path.Length > 0 ? path : id, GitManifest.Parse(content, $"{path} (blob {id[..12]})"))); }
            catch (CadreException e) { malformed.Add(e.Message); }
        }
        return (manifests, malformed);
    }
}
