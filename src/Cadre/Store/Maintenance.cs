namespace Cadre.Store;

/// <summary>What <see cref="CadreStore.Verify"/> found: every problem, each naming the object or ref.</summary>
public sealed record VerifyReport(int Objects, int Versions, int Bases, IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>What <see cref="CadreStore.Gc"/> removed.</summary>
public sealed record GcReport(int Reachable, int RemovedObjects, long RemovedBytes, int RemovedTemporary, long RemovedTemporaryBytes, int RemovedCheckouts);

/// <summary>Reachability, garbage collection and verification.</summary>
public sealed partial class CadreStore
{
    private enum Node { Version, BaseEntry, Manifest, Leaf }

    /// <summary>
    /// Walks from every root (HEADs, version indexes, branches, tags, bases, git repositories' manifests) through versions, parents, manifests,
    /// tensors and delta bases. Each problem met (a missing or unreadable object) goes to <paramref name="problems"/>.
    /// </summary>
    private HashSet<string> Reachable(List<string> problems, out int versions, out int bases)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(string Id, Node Kind, string What)>();
        versions = bases = 0;
        foreach (var (root, id) in Refs.Roots())
        {
            if (ObjectIds.IsValid(id))
                stack.Push((id, root.StartsWith("base ", StringComparison.Ordinal) ? Node.BaseEntry
                    : root.StartsWith("git ", StringComparison.Ordinal) ? Node.Manifest : Node.Version, $"ref {root}"));
            else
                problems.Add($"ref {root}: '{id}' is not an object id");
        }
        while (stack.TryPop(out var item))
        {
            if (!seen.Add(item.Id)) continue;
            if (!Objects.Has(item.Id)) { problems.Add($"missing object {item.Id} ({item.What})"); continue; }
            try
            {
                if (Objects.ReadHeader(item.Id).Base is { } deltaBase)
                    stack.Push((deltaBase, Node.Leaf, $"delta base of {item.Id[..12]}"));
                switch (item.Kind)
                {
                    case Node.Version:
                        versions++;
                        var v = ReadVersion(item.Id).Record;
                        stack.Push((v.Manifest, Node.Manifest, $"manifest of {v.Name}@{v.Number}"));
                        foreach (var p in v.Parents) stack.Push((p, Node.Version, $"parent of {v.Name}@{v.Number}"));
                        break;
                    case Node.BaseEntry:
                        bases++;
                        var b = BaseEntry.Parse(Objects.ReadAll(item.Id, 1 << 20), $"base entry {item.Id[..12]}");
                        stack.Push((b.Manifest, Node.Manifest, $"manifest of base {b.Base.Name}"));
                        break;
                    case Node.Manifest:
                        foreach (var f in Snapshots.Read(Objects, item.Id).Files)
                        foreach (var o in f.ObjectIds())
                            stack.Push((o, Node.Leaf, $"{f.Path} in manifest {item.Id[..12]} ({item.What})"));
                        break;
                }
            }
            catch (CadreException e) { problems.Add($"unreadable object {item.Id} ({item.What}): {e.Message}"); }
        }
        return seen;
    }

    /// <summary>
    /// Re-hashes every object (decoding deltas), re-reads every version, base entry and manifest, checks that each
    /// object they need is present, and checks checked-out folders against their versions.
    /// </summary>
    public VerifyReport Verify(Action<string>? progress = null)
    {
        EnsureFormat(create: false);
        var problems = new List<string>();
        var count = 0;
        foreach (var id in Objects.All())
        {
            count++;
            if (Objects.Check(id) is { } error) problems.Add($"corrupt object {id}: {error}");
            if (count % 1000 == 0) progress?.Invoke($"{count} objects checked");
        }
        Reachable(problems, out var versions, out var bases);
        problems.AddRange(CheckoutProblems());
        return new VerifyReport(count, versions, bases, problems.Distinct().ToList());
    }

    private IEnumerable<string> CheckoutProblems()
    {
        if (!Directory.Exists(CheckoutsFolder)) yield break;
        foreach (var folder in Directory.GetDirectories(CheckoutsFolder).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileName(folder);
            string? problem;
            try { problem = ObjectIds.IsValid(id) && Objects.Has(id) ? Snapshots.Differences(Objects, ReadVersion(id).Record.Manifest, folder) : null; }
            catch (CadreException e) { problem = e.Message; }
            if (problem is not null)
                yield return $"checkout {id[..12]} differs from its version ({problem}); remove {folder} and it is rebuilt on next use";
        }
    }

    /// <summary>
    /// Removes every object no root reaches, every leftover temporary file (all of <c>store/tmp</c>; in
    /// <c>CADRE_HOME/tmp</c> those no live process holds), and the checked-out folders of versions
    /// that no longer exist. Holds both locks exclusively, so no commit or bundle apply is writing meanwhile; refuses
    /// to delete anything when the store has a missing or unreadable object (it could not know what that object holds).
    /// </summary>
    public GcReport Gc()
    {
        EnsureFormat(create: false);
        using var writing = StoreLock.Acquire(Root, StoreLock.ObjectsLock);
        using var refs = StoreLock.Acquire(Root, StoreLock.RefsLock);
        var problems = new List<string>();
        var reachable = Reachable(problems, out _, out _);
        if (problems.Count > 0)
            throw new CadreException($"gc refused: the store has problems (run cadre verify): {string.Join("; ", problems.Take(5))}");
        int removed = 0, temporary = 0, checkouts = 0;
        long bytes = 0, temporaryBytes = 0;
        foreach (var id in Objects.All().ToList())
        {
            if (reachable.Contains(id)) continue;
            bytes += Objects.StoredSize(id);
            Objects.Delete(id);
            removed++;
        }
        // store/tmp is written only under objects.lock or refs.lock, both held here: all of it is garbage.
        if (Directory.Exists(Objects.TmpFolder))
            foreach (var entry in Directory.EnumerateFileSystemEntries(Objects.TmpFolder).ToList())
            {
                if (Directory.Exists(entry))
                {
                    temporaryBytes += new DirectoryInfo(entry).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    temporaryBytes += new FileInfo(entry).Length;
                    File.Delete(entry);
                }
                temporary++;
            }
        // CADRE_HOME/tmp holds staging that lives outside the store locks (an import's copy, a merge): only entries
        // whose owner is gone (StagingLease).
        var (staged, stagedBytes) = StagingLease.Sweep(StagingLease.Folder(Home));
        temporary += staged;
        temporaryBytes += stagedBytes;
        if (Directory.Exists(CheckoutsFolder))
            foreach (var folder in Directory.GetDirectories(CheckoutsFolder))
                if (!reachable.Contains(Path.GetFileName(folder)))
                {
                    Directory.Delete(folder, recursive: true);
                    checkouts++;
                }
        return new GcReport(reachable.Count, removed, bytes, temporary, temporaryBytes, checkouts);
    }
}
