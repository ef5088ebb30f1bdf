using System.Globalization;
using System.Text;
using Cadre.Store;
using Cadre.Training;
using Cadre.Specs;

namespace Cadre.Benchmarks;

/// <summary>Bytes that 10 successive versions of one specialist cost, stored three ways.</summary>
public sealed record StorageRow(string Specialist, int Versions, long FileBytesPerVersion, long PlainCopies, long WholeFiles, long Cadre, string Codecs);

/// <summary>
/// <c>cadre bench store</c>, part one: successive versions of a LoRA specialist, a fully fine-tuned one, and the LoRA
/// merged into full base weights (as users export it), each retrained on a growing sample of a synthetic two-class
/// task, in a scratch CADRE_HOME holding a copy of the base. Compared: plain copies of every version's safetensors
/// files, whole-file storage that keeps each distinct file once (git-lfs), and the bytes of the objects Cadre's store
/// added for them (the base's objects, stored once for all, are counted apart).
/// </summary>
public static class StoreBenchmark
{
    public static IReadOnlyList<StorageRow> Versions(string home, string baseName, int versions, string work, Action<string> log)
    {
        var data = SyntheticTask.Write(work, 200 + 20 * versions, 300);
        var store = new CadreStore(home);
        var rows = new List<StorageRow>();
        foreach (var method in new[] { "lora", "full" })
        {
            var name = $"bench-{method}";
            var before = ObjectBytes(store);
            for (var v = 1; v <= versions; v++)
            {
                var spec = Path.Combine(work, $"{name}-{v}.yaml");
                File.WriteAllText(spec, $$"""
                    specialists:
                      - name: {{name}}
                        base: {{baseName}}
                        data: {train: {{data.Train}}, test: {{data.Test}}, sample_size: {{200 + 20 * v}}}
                        adapter: {method: {{method}}}
                        training: {epochs: 2, batch_size: 32, seed: 7, early_stopping: 0}
                    """);
                var outcome = new SpecialistTrainer(home).Train(SpecFile.Load(spec).Specialists[0], new TrainOptions());
                log($"{name} version {outcome.Version.Number}: test accuracy {outcome.Record.Metrics["test"]["accuracy"]:F3}");
                if (method == "lora")
                    MergedLora.CommitMerged(store, home, outcome.Version, $"{name}-merged", work);
            }
            rows.Add(Row(store, name, ObjectBytes(store) - before - (method == "lora" ? MergedBytes(store, $"{name}-merged") : 0)));
            if (method == "lora") rows.Add(Row(store, $"{name}-merged", MergedBytes(store, $"{name}-merged")));
        }
        return rows;
    }

    /// <summary>Bytes of the objects only this specialist's versions reach (nothing shared with the base or others).</summary>
    private static long MergedBytes(CadreStore store, string name)
    {
        var own = Reach(store, store.Refs.Versions(name).Select(v => v.Id));
        var others = Reach(store, store.Specialists().Where(s => s != name).SelectMany(s => store.Refs.Versions(s).Select(v => v.Id))
            .Concat(store.Bases().SelectMany(b => Snapshots.Read(store.Objects, b.Entry.Manifest).ObjectIds())));
        return own.Except(others).Sum(store.Objects.StoredSize);
    }

    private static HashSet<string> Reach(CadreStore store, IEnumerable<string> roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string id) { while (seen.Add(id) && store.Objects.ReadHeader(id).Base is { } b) id = b; }
        foreach (var id in roots)
        {
            if (!ObjectIds.IsValid(id) || !store.Objects.Has(id)) continue;
            Add(id);
            if (store.Objects.ReadHeader(id).Kind != ObjectKind.Blob) continue;
            try
            {
                var v = store.ReadVersion(id);
                Add(v.Record.Manifest);
                foreach (var o in store.ReadManifest(v).ObjectIds()) Add(o);
            }
            catch (CadreException) { } // a tensor or manifest id passed as a root: already added
        }
        return seen;
    }

    private static long ObjectBytes(CadreStore store) => store.Objects.All().Sum(store.Objects.StoredSize);

    private static StorageRow Row(CadreStore store, string name, long cadreBytes)
    {
        var files = store.Refs.Versions(name).Select(v => store.ReadManifest(store.ReadVersion(v.Id)))
            .SelectMany(m => m.Files.Where(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal))).ToList();
        var distinct = files.GroupBy(f => f.Header + ":" + string.Join(",", (f.Tensors ?? []).Select(t => t.Id)) + f.Blob).Sum(g => g.First().Size);
        // The encodings of the tensor objects each version added (a tensor equal to its parent's adds nothing).
        var added = new List<string>();
        HashSet<string>? previous = null;
        foreach (var (_, id) in store.Refs.Versions(name))
        {
            var ids = store.ReadManifest(store.ReadVersion(id)).Files.SelectMany(f => f.Tensors ?? []).Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
            if (previous is not null) added.AddRange(ids.Except(previous).Select(t => store.Objects.ReadHeader(t).Codec.ToString()));
            previous = ids;
        }
        var codecs = added.GroupBy(c => c).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
        var count = store.Refs.Versions(name).Count;
        return new StorageRow(name, count, files.Sum(f => f.Size) / Math.Max(1, count), files.Sum(f => f.Size), distinct, cadreBytes, string.Join(", ", codecs));
    }

    public static string Markdown(IReadOnlyList<StorageRow> rows, long baseBytes, long baseFileBytes, IReadOnlyList<LargeCheckpointRow> large,
                                  string commandLine)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Store: bytes per version, and a 1 GB checkpoint").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine(string.Create(ci, $"The base is stored once for every specialist: {baseFileBytes:N0} bytes of files, {baseBytes:N0} bytes of objects. Per specialist, the versions' safetensors files stored as plain copies, as whole files kept once per distinct content (git-lfs), and as the objects Cadre's store added (deltas against the previous version or the base; `codecs` counts the tensor objects that versions 2 and later added, by encoding)."));
        sb.AppendLine();
        sb.AppendLine("| specialist | versions | safetensors per version | plain copies | whole files (git-lfs) | Cadre | Cadre / plain | new tensor objects (versions 2+) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows)
            sb.AppendLine(string.Create(ci, $"| {r.Specialist} | {r.Versions} | {r.FileBytesPerVersion:N0} | {r.PlainCopies:N0} | {r.WholeFiles:N0} | {r.Cadre:N0} | {100.0 * r.Cadre / Math.Max(1, r.PlainCopies):F1} % | {r.Codecs} |"));
        if (large.Count > 0)
        {
            sb.AppendLine().AppendLine("Each command below ran as its own `cadre` process on a synthetic checkpoint; peak memory is the process's peak resident set (VmHWM), runtime included.").AppendLine();
            sb.AppendLine("| step | checkpoint | seconds | peak memory | notes |");
            sb.AppendLine("|---|---:|---:|---:|---|");
            foreach (var r in large)
                sb.AppendLine(string.Create(ci, $"| {r.Step} | {(r.FileBytes > 0 ? $"{r.FileBytes / (double)(1 << 30):F2} GiB" : "-")} | {r.Seconds:F1} | {r.PeakBytes / (double)(1 << 20):F0} MiB | {r.Notes} |"));
        }
        return sb.ToString();
    }
}

/// <summary>The scratch CADRE_HOME of <c>cadre bench store</c>: a copy of one base, imported into a fresh store.</summary>
public static class StoreBenchHome
{
    /// <returns>The base's object bytes in the store and its file bytes.</returns>
    public static (long ObjectBytes, long FileBytes) Prepare(string userHome, string baseName, string scratch)
    {
        var source = new BaseCatalog(userHome);
        var record = source.Get(baseName);
        var target = new BaseCatalog(scratch);
        var staging = target.CreateStaging();
        foreach (var file in Directory.GetFiles(source.FolderOf(baseName), "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(staging, Path.GetRelativePath(source.FolderOf(baseName), file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        File.Delete(Path.Combine(staging, BaseRecord.FileName));
        target.Commit(staging, record, replace: false);
        var store = new CadreStore(scratch);
        var bytes = store.Objects.All().Sum(store.Objects.StoredSize);
        var files = Directory.GetFiles(target.FolderOf(baseName), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        return (bytes, files);
    }
}
