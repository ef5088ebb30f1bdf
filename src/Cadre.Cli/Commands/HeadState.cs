using Cadre.Store;

namespace Cadre.Cli.Commands;

/// <summary>
/// Where a specialist's HEAD is, in the words checkout, log and show use: on a branch, or detached at a version,
/// with the command that returns to a branch. A detached HEAD is easy to miss (predict answers from it, training adds
/// versions after it without moving any branch), so every command that shows HEAD says so.
/// </summary>
internal static class HeadState
{
    /// <summary>
    /// The branch to go back to from a detached HEAD at <paramref name="at"/>: the one HEAD was on before, else a
    /// branch whose history holds the version (the default branch first), else the default branch, else any.
    /// </summary>
    public static string? BranchBack(CadreStore store, string name, VersionInfo at, string? previous = null)
    {
        var branches = store.Branches(name);
        if (previous is not null && branches.Any(b => b.Name == previous)) return previous;
        var ordered = branches.OrderBy(b => b.Name == CadreStore.DefaultBranch ? 0 : 1).ThenBy(b => b.Name, StringComparer.Ordinal).ToList();
        foreach (var (branch, id) in ordered)
            if (id == at.Id || store.IsAncestor(at.Id, store.ReadVersion(id)))
                return branch;
        return ordered.Count > 0 ? ordered[0].Name : null;
    }

    /// <summary>The line checkout prints after detaching HEAD at <paramref name="at"/>, and the one after it.</summary>
    public static IEnumerable<string> Detached(CadreStore store, string name, VersionInfo at, string? previous)
    {
        yield return $"HEAD is now detached at {name}@{at.Number} ({at.ShortId}); new versions will not move a branch (to start one here: cadre branch {name} NEW, then cadre checkout {name}@NEW).";
        var tips = store.Branches(name).Where(b => b.Id == at.Id).Select(b => b.Name).ToList();
        if (tips.Count > 0)
            yield return $"{name}@{at.Number} is also the tip of {string.Join(", ", tips)}; to follow a branch, check it out by name.";
        if (BranchBack(store, name, at, previous) is { } back)
            yield return $"Back to the branch: cadre checkout {name}@{back}";
    }

    /// <summary>"on branch main at version 3 (abc…)" or "HEAD detached at version 2 (abc…); back to the branch: …".</summary>
    public static string? Describe(CadreStore store, string name)
    {
        var head = store.Head(name);
        if (head is null) return null;
        if (store.CurrentBranch(name) is { } branch)
            return $"on branch {branch} at version {head.Number} ({head.ShortId})";
        var back = BranchBack(store, name, head);
        return $"HEAD detached at version {head.Number} ({head.ShortId})" + (back is null ? "" : $"; back to the branch: cadre checkout {name}@{back}");
    }
}
