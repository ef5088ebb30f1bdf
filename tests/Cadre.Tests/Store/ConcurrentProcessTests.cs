using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tensors;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

/// <summary>
/// Real cadre processes on one CADRE_HOME at once, and processes killed mid-import: no process fails for another's
/// lock, nothing any of them stored goes missing, and gc removes what killed processes left but nothing live.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ConcurrentProcessTests
{
    [Fact]
    public void ManyProcessesOnOneStoreAllSucceedAndEveryVersionAndTagIsThere()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, epochs: 1);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        var export = Path.Combine(work.Path, "export");
        Assert.Equal(0, cli.Run("specialist", "export", "tiny-task", "-o", export).ExitCode);
        var others = new[] { "tiny-b", "tiny-c" }.Select(n =>
        {
            var file = Path.Combine(work.Path, n + ".yaml"); // beside the data files its paths name
            File.WriteAllText(file, File.ReadAllText(spec).Replace("name: tiny-task", "name: " + n));
            return file;
        }).ToList();

        // Everything at once: before the fix 24 of 40 tags, 3 of 6 imports and 2 of 7 trainings failed here with
        // "The process cannot access the file '.../refs.lock' because it is being used by another process".
        var runs = new List<CadreProcess>();
        try
        {
            for (var i = 0; i < 16; i++) runs.Add(new CadreProcess(home.Path, "tag", "tiny-task@1", $"t{i}"));
            for (var i = 0; i < 4; i++) runs.Add(new CadreProcess(home.Path, "specialist", "import", export, "--name", $"imported-{i}"));
            runs.AddRange(others.Select(o => new CadreProcess(home.Path, "train", o)));
            for (var i = 0; i < 2; i++) runs.Add(new CadreProcess(home.Path, "gc"));
            runs.Add(new CadreProcess(home.Path, "checkout", "tiny-task@1"));
            runs.Add(new CadreProcess(home.Path, "checkout", "tiny-task@main"));
            var failures = runs.Select(r => (r.Args, Result: r.Wait())).Where(r => r.Result.Code != 0)
                .Select(r => $"cadre {r.Args} exited {r.Result.Code}: {r.Result.Error.Trim()}").ToList();
            Assert.True(failures.Count == 0, $"{failures.Count} of {runs.Count} processes failed:\n" + string.Join("\n", failures));
        }
        finally
        {
            foreach (var r in runs) r.Dispose();
        }

        var store = new SpecialistCatalog(home.Path).Store;
        var tags = store.Refs.List("specialists/tiny-task/tags");
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"t{i}").Order(StringComparer.Ordinal), tags);
        foreach (var name in Enumerable.Range(0, 4).Select(i => $"imported-{i}").Concat(["tiny-b", "tiny-c"]))
            Assert.True(store.Head(name) is { Number: 1 }, $"{name} has no version 1");
        var verify = CadreProcess.Run(home.Path, "verify");
        Assert.True(verify.Code == 0, verify.Out + verify.Error);
    }

    [Fact]
    public void GcRemovesTheStagingOfAnImportKilledMidCopyButNotLiveStaging()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("train", TinyTask.Prepare(cli, work.Path, epochs: 1)).ExitCode);
        var export = Path.Combine(work.Path, "export");
        Assert.Equal(0, cli.Run("specialist", "export", "tiny-task", "-o", export).ExitCode);
        const int elements = 8 << 20; // 32 MiB: its copy and commit take long enough to be caught in the middle
        SafetensorsWriter.WriteRaw(Path.Combine(export, "model.safetensors"), [StoreFixtures.F32("encoder.weight", StoreFixtures.Random(elements, 3), 2048, elements / 2048)]);
        var tmp = StagingLease.Folder(home.Path);

        var killed = 0;
        for (var attempt = 0; attempt < 5 && killed < 2; attempt++)
        {
            using var import = new CadreProcess(home.Path, "specialist", "import", export, "--name", $"big-{attempt}");
            // Kill once the staging folder holds part of the copy, as a user's Ctrl-\ or the OOM killer would.
            while (!import.HasExited && !StagedBytes(tmp).Any(b => b > 0)) Thread.Sleep(5);
            if (import.HasExited) continue;
            import.Kill();
            killed++;
        }
        Assert.True(killed >= 1, "no import was caught mid-copy");
        var abandoned = StagedBytes(tmp).Sum();
        Assert.True(abandoned > 0);

        using var live = StagingLease.Create(home.Path, "import"); // a live import: gc must leave it
        File.WriteAllText(Path.Combine(live.Path, "config.json"), "{}");
        var gc = CadreProcess.Run(home.Path, "gc");
        Assert.True(gc.Code == 0, gc.Error);
        var freed = System.Text.RegularExpressions.Regex.Match(gc.Out, @"[1-9]\d* temporary entr(?:y|ies) \(([\d,]+) bytes\)");
        Assert.True(freed.Success, gc.Out);
        Assert.True(long.Parse(freed.Groups[1].Value.Replace(",", "")) >= abandoned, $"gc reports fewer bytes than the killed imports left ({abandoned:N0}): {gc.Out}");
        var left = Directory.GetFileSystemEntries(tmp).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([Path.GetFileName(live.Path), Path.GetFileName(live.Path) + StagingLease.LockSuffix], left);
        Assert.Equal(0, CadreProcess.Run(home.Path, "verify").Code);
    }

    /// <summary>Bytes in each staging folder of CADRE_HOME/tmp (lock files aside).</summary>
    private static IEnumerable<long> StagedBytes(string tmp) => !Directory.Exists(tmp) ? [] :
        Directory.EnumerateDirectories(tmp).Select(d =>
        {
            try { return new DirectoryInfo(d).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length); }
            catch (IOException) { return 0L; } // removed while counted
        }).ToList();
}
