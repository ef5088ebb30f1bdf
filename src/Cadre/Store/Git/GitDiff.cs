using Cadre.Tensors;

namespace Cadre.Store.Git;

/// <summary>
/// The diff driver's comparison of two sides of a checkpoint (either may be a manifest or the real file, or absent):
/// per tensor added, removed, unchanged (same content address) or changed, with the L2 norm of the change, the
/// change relative to the old norm and the cosine, streamed pair by pair as <c>cadre diff</c> computes them. Values
/// a side cannot provide (its objects are not in this store) leave the numbers empty and say so.
/// </summary>
public static class GitDiff
{
    public sealed record Result(DiffReport Report, IReadOnlyList<string> Notes);

    public static Result Compare(ObjectStore store, string path, GitCheckpointFile? from, GitCheckpointFile? to)
    {
        var notes = new List<string>();
        foreach (var (side, name) in new[] { (from, "old"), (to, "new") })
            if (side?.Problem is { } problem) notes.Add($"{name} side: {problem}");
            else if (side?.Manifest is { } m && m.MissingObjects(store) is { Count: > 0 } missing)
                notes.Add($"{name} side: {missing.Count} objects are not in the store at {store.Root}, so values are not compared (cadre pull fetches them)");
        if ((from is not null && !from.IsCheckpoint) || (to is not null && !to.IsCheckpoint))
        {
            var status = from is null ? "added" : to is null ? "removed" : from.Blob is not null && from.Blob == to.Blob ? "unchanged" : "changed";
            return new Result(new DiffReport([new FileChange(path, status, from?.Size, to?.Size)], [], []), notes);
        }
        var before = (from?.Tensors ?? []).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var after = (to?.Tensors ?? []).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var tensors = new List<TensorChange>();
        foreach (var name in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
            tensors.Add(Compare(store, path, from, before.GetValueOrDefault(name), to, after.GetValueOrDefault(name)));
        IReadOnlyList<LoraSiteChange> sites = [];
        if (from?.Manifest is { } a && to?.Manifest is { } b && notes.Count == 0)
            sites = LoraRank.Sites(store, new Manifest { Files = [a.File with { Path = path }] }, new Manifest { Files = [b.File with { Path = path }] });
        return new Result(new DiffReport([], tensors, sites), notes);
    }

    private static TensorChange Compare(ObjectStore store, string file, GitCheckpointFile? fromFile, ManifestTensor? a, GitCheckpointFile? toFile, ManifestTensor? b)
    {
        if (a is null) return new TensorChange(file, b!.Name, "added", b.DType, null, b.Shape, null, null, null);
        if (b is null) return new TensorChange(file, a.Name, "removed", a.DType, a.Shape, null, null, null, null);
        if (a.Id == b.Id) return new TensorChange(file, a.Name, "unchanged", a.DType, a.Shape, b.Shape, 0, 0, 1);
        var changed = new TensorChange(file, a.Name, "changed", b.DType, a.Shape, b.Shape, null, null, null);
        if (!a.Shape.SequenceEqual(b.Shape)) return changed;
        using var ra = fromFile!.OpenTensor(store, a);
        using var rb = toFile!.OpenTensor(store, b);
        if (ra is null || rb is null) return changed;
        return ManifestDiff.WithStatistics(changed, DTypes.Parse(a.DType)!.Value, ra, DTypes.Parse(b.DType)!.Value, rb);
    }
}
