using System.Globalization;
using Cadre.Tensors;

namespace Cadre.Store.Git;

/// <summary>The merge's result (null when conflicts remain), the conflicts, and how each tensor was decided.</summary>
public sealed record GitMergeOutcome(GitManifest? Result, IReadOnlyList<string> Conflicts, IReadOnlyDictionary<string, int> Decisions);

/// <summary>
/// Three-way merge of one checkpoint, tensor by tensor: a tensor changed on one side only takes that side (added and
/// removed included), one changed identically on both takes it, and one changed differently on both goes to the
/// strategy; without one, or where the strategy cannot apply (a dtype or shape that differs, an integer tensor, no
/// merge base for task arithmetic, a tensor removed on one side), it is a conflict. Combined tensors stream a chunk
/// at a time into new store objects (a delta on ours). The result reuses our header when the layout is ours, and
/// otherwise gets a new safetensors header (our metadata, Hugging Face's tensor order), checked as a reader checks.
/// </summary>
public static class GitMerge
{
    private const int ChunkElements = 1 << 16;

    public static GitMergeOutcome Merge(GitStore git, GitManifest? ancestor, GitManifest ours, GitManifest theirs,
                                        GitMergeStrategy? strategy, double lambda)
    {
        var decisions = new Dictionary<string, int>(StringComparer.Ordinal);
        GitMergeOutcome Whole(GitManifest result, string how)
        {
            decisions[how] = 1;
            return new GitMergeOutcome(result, [], decisions);
        }
        if (SameFile(ours, theirs)) return Whole(ours, "same on both sides");
        if (ancestor is not null && SameFile(ancestor, ours)) return Whole(theirs, "file from theirs");
        if (ancestor is not null && SameFile(ancestor, theirs)) return Whole(ours, "file from ours");
        if (!ours.IsSafetensors || !theirs.IsSafetensors)
            return strategy?.Side switch
            {
                GitMergeSide.Ours => Whole(ours, "file from ours (strategy)"),
                GitMergeSide.Theirs => Whole(theirs, "file from theirs (strategy)"),
                _ => new GitMergeOutcome(null, ["the file is not split into tensors on both sides, so only the ours or theirs strategy can merge it"], decisions),
            };
        var baseTensors = (ancestor?.IsSafetensors == true ? ancestor.Tensors : []).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var ourTensors = ours.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var theirTensors = theirs.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var names = ours.Tensors.Select(t => t.Name).Concat(theirs.Tensors.Select(t => t.Name).Where(n => !ourTensors.ContainsKey(n))).ToList();
        var merged = new List<ManifestTensor>();
        var conflicts = new List<string>();
        void Decide(string how, ManifestTensor? t)
        {
            decisions[how] = decisions.GetValueOrDefault(how) + 1;
            if (t is not null) merged.Add(t);
        }
        foreach (var name in names)
        {
            var (o, a, b) = (baseTensors.GetValueOrDefault(name), ourTensors.GetValueOrDefault(name), theirTensors.GetValueOrDefault(name));
            if (a?.Id == b?.Id) Decide(o?.Id == a?.Id ? "unchanged" : "same change on both sides", a);
            else if (o?.Id == a?.Id) Decide(b is null ? "removed by theirs" : "from theirs", b);
            else if (o?.Id == b?.Id) Decide(a is null ? "removed by ours" : "from ours", a);
            else if (strategy?.Side == GitMergeSide.Ours) Decide("ours (strategy)", a);
            else if (strategy?.Side == GitMergeSide.Theirs) Decide("theirs (strategy)", b);
            else if (Obstacle(o, a, b, strategy) is { } why) conflicts.Add($"{name} ({why})");
            else
            {
                var id = Combine(git, o, a!, b!, strategy!.Elementwise!, lambda);
                Decide($"{strategy.Name.Replace('_', ' ')}", a! with { Id = id });
            }
        }
        if (conflicts.Count > 0) return new GitMergeOutcome(null, conflicts, decisions);
        return new GitMergeOutcome(Assemble(git.Objects, ours, merged), [], decisions);
    }

    private static bool SameFile(GitManifest x, GitManifest y) => x.StoreManifestId == y.StoreManifestId;

    /// <summary>Why the strategy cannot combine this tensor; null when it can.</summary>
    private static string? Obstacle(ManifestTensor? o, ManifestTensor? a, ManifestTensor? b, GitMergeStrategy? strategy)
    {
        var change = a is null ? "removed by ours, changed by theirs"
            : b is null ? "changed by ours, removed by theirs"
            : o is null ? "added on both sides with different values"
            : "changed on both sides";
        if (strategy is null) return $"{change}; no merge strategy set";
        if (a is null || b is null) return $"{change}; {strategy.Name} needs it on both sides";
        if (a.DType != b.DType || !a.Shape.SequenceEqual(b.Shape))
            return $"{change}: ours {a.DType} {Shape(a.Shape)}, theirs {b.DType} {Shape(b.Shape)}";
        if (!TensorElements.IsFloat(DTypes.Parse(a.DType)!.Value)) return $"{change}; {a.DType} is not a floating-point dtype";
        if (strategy.NeedsBase && o is null) return $"{change}; {strategy.Name} needs a merge base that has it";
        if (strategy.NeedsBase && (!o!.Shape.SequenceEqual(a.Shape) || !TensorElements.IsFloat(DTypes.Parse(o.DType)!.Value)))
            return $"{change}; the merge base has {o.DType} {Shape(o.Shape)}";
        return null;
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Streams the combination of the three tensors into a new object (stored as a delta on ours).</summary>
    private static string Combine(GitStore git, ManifestTensor? o, ManifestTensor a, ManifestTensor b, ElementwiseMerge merge, double lambda)
    {
        var dtype = DTypes.Parse(a.DType)!.Value;
        var baseType = o is null ? dtype : DTypes.Parse(o.DType)!.Value;
        var count = a.Shape.Aggregate(1L, (x, y) => x * y);
        var tmp = git.NewTemporaryFile();
        try
        {
            using (var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var ra = git.Objects.OpenRaw(a.Id))
            using (var rb = git.Objects.OpenRaw(b.Id))
            using (var ro = o is null ? null : git.Objects.OpenRaw(o.Id))
            {
                var (va, vb, vo, vr) = (new double[ChunkElements], new double[ChunkElements], new double[o is null ? 0 : ChunkElements], new double[ChunkElements]);
                var raw = new byte[ChunkElements * Math.Max(dtype.Size(), baseType.Size())];
                for (long done = 0; done < count; done += ChunkElements)
                {
                    var n = (int)Math.Min(ChunkElements, count - done);
                    Read(ra, dtype, raw, va.AsSpan(0, n));
                    Read(rb, dtype, raw, vb.AsSpan(0, n));
                    if (ro is not null) Read(ro, baseType, raw, vo.AsSpan(0, n));
                    merge(ro is null ? [] : vo.AsSpan(0, n), va.AsSpan(0, n), vb.AsSpan(0, n), lambda, vr.AsSpan(0, n));
                    var bytes = raw.AsSpan(0, n * dtype.Size());
                    TensorElements.Encode(dtype, vr.AsSpan(0, n), bytes);
                    output.Write(bytes);
                }
            }
            return git.Objects.PutTensor(dtype, a.Shape, () => File.OpenRead(tmp), similar: a.Id);
        }
        finally { File.Delete(tmp); }
    }

    private static void Read(Stream raw, DType dtype, byte[] buffer, Span<double> values)
    {
        var bytes = buffer.AsSpan(0, values.Length * dtype.Size());
        raw.ReadExactly(bytes);
        TensorElements.Decode(dtype, bytes, values);
    }

    /// <summary>The merged file: our header when the tensors are ours in name, dtype, shape and order; else a new one.</summary>
    private static GitManifest Assemble(ObjectStore store, GitManifest ours, List<ManifestTensor> tensors)
    {
        var sameLayout = tensors.Count == ours.Tensors.Count && tensors.Zip(ours.Tensors).All(p =>
            p.First.Name == p.Second.Name && p.First.DType == p.Second.DType && p.First.Shape.SequenceEqual(p.Second.Shape));
        if (sameLayout) return GitManifest.Of(ours.File with { Tensors = tensors });
        var oldHeader = store.ReadAll(ours.File.Header!, SafetensorsHeader.MaxHeaderBytes);
        var metadata = SafetensorsHeader.Parse(oldHeader, ours.File.Size - 8 - oldHeader.Length, "our side's header").Metadata;
        var ordered = tensors.Select(t => (Tensor: t, DType: DTypes.Parse(t.DType)!.Value))
            .OrderByDescending(t => t.DType.HuggingFaceRank()).ThenBy(t => t.Tensor.Name, Utf8Order.Strings).ToList();
        var entries = ordered.Select(t => (t.Tensor.Name, t.DType, t.Tensor.Shape, t.DType.ByteLength(t.Tensor.Shape)
            ?? throw new CadreException($"tensor '{t.Tensor.Name}': shape {Shape(t.Tensor.Shape)} is too large"))).ToList();
        var header = SafetensorsHeaderWriter.Build(entries, metadata.Count > 0 ? metadata : null);
        var dataLength = entries.Sum(e => e.Item4);
        SafetensorsHeader.Parse(header, dataLength, "merged header"); // what any reader will check
        return GitManifest.Of(new ManifestFile
        {
            Path = GitManifest.StorePath, Size = 8 + header.Length + dataLength, Header = store.PutBlob(header),
            Tensors = ordered.Select(t => t.Tensor).ToList(),
        });
    }

    /// <summary>One line for the user: how many tensors each rule decided.</summary>
    public static string Summary(GitMergeOutcome outcome) =>
        string.Join(", ", outcome.Decisions.OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Value} {d.Key}")));
}
