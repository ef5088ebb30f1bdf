using System.Diagnostics;
using System.Security.Cryptography;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tensors;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

/// <summary>
/// Kills a real cadre process (SIGKILL) at random points while it commits a version and while it applies a bundle,
/// many times; after every kill the store verifies clean and every version stored before reads back unchanged.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CrashSafetyTests
{
    private const int Kills = 8;
    private const int BigElements = 4 << 20; // a 16 MiB tensor: long enough that kills land inside the store's writes

    private static readonly string Cadre = Path.Combine(AppContext.BaseDirectory, "cadre");

    [Fact]
    public void KillsDuringCommitAndBundleApplyLeaveEveryStoreVerifiableAndEveryVersionIntact()
    {
        using var home = new TempDir();
        using var other = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("train", TinyTask.Prepare(cli, work.Path, epochs: 1)).ExitCode);
        var export = Path.Combine(work.Path, "export");
        Assert.Equal(0, cli.Run("specialist", "export", "tiny-task", "-o", export).ExitCode);
        var random = new Random(20261202);
        var big = StoreFixtures.Random(BigElements, 1);
        var expected = new Dictionary<string, Dictionary<string, string>>(); // version id -> file -> sha256
        var store = new SpecialistCatalog(home.Path).Store;
        void Remember() { foreach (var (n, id) in store.Refs.Versions("tiny-task")) expected.TryAdd(id, Hashes(store, store.ReadVersion(id))); }
        void NextVersion()
        {
            var start = random.Next(BigElements);
            for (var i = 0; i < BigElements / 3; i++) big[(start + i) % BigElements] += 1e-3f;
            SafetensorsWriter.WriteRaw(Path.Combine(export, "model.safetensors"), [StoreFixtures.F32("encoder.weight", big, 2048, BigElements / 2048)]);
        }
        NextVersion();
        var (code, seconds) = Run(home.Path, null, "specialist", "import", export, "--new-version");
        Assert.True(code == 0, $"uninterrupted import exited {code}");
        Remember();

        var killed = 0;
        for (var k = 0; k < Kills; k++)
        {
            NextVersion();
            var (exit, _) = Run(home.Path, TimeSpan.FromSeconds(random.NextDouble() * seconds), "specialist", "import", export, "--new-version");
            killed += exit == 0 ? 0 : 1;
            AssertIntact(store, expected, $"after kill {k} during commit (exit {exit})");
            Remember(); // a run that finished before its kill, or a version indexed just before it, is now history too
        }
        Assert.True(killed >= Kills / 2, $"only {killed} of {Kills} runs were killed before they finished: the test would prove little");
        store.Gc();
        AssertIntact(store, expected, "after gc");

        // Bundle apply into another home that holds the same base.
        var receiver = new CliRunner(other.Path);
        Assert.Equal(0, receiver.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var bundle = Path.Combine(work.Path, "all.bundle");
        Assert.Equal(0, cli.Run("bundle", "create", "tiny-task", "-o", bundle).ExitCode);
        var target = new CadreStore(other.Path);
        var (applied, applySeconds) = Run(other.Path, null, "bundle", "apply", bundle);
        Assert.Equal(0, applied);
        var earlier = store.Refs.Versions("tiny-task").ToDictionary(v => v.Id, v => expected[v.Id]);
        AssertIntact(target, earlier, "after the first apply");
        // A second sender line: new versions on top, bundled since what the receiver has, applied under kills.
        for (var k = 0; k < 2; k++) { NextVersion(); Assert.Equal(0, Run(home.Path, null, "specialist", "import", export, "--new-version").Code); }
        Remember();
        var update = Path.Combine(work.Path, "update.bundle");
        Assert.Equal(0, cli.Run("bundle", "create", "tiny-task", "--since", target.Head("tiny-task")!.Id[..12], "-o", update).ExitCode);
        var applyKilled = 0;
        for (var k = 0; k < Kills; k++)
        {
            var (exit, _) = Run(other.Path, TimeSpan.FromSeconds(random.NextDouble() * applySeconds * 0.7), "bundle", "apply", update);
            AssertIntact(target, earlier, $"after kill {k} during bundle apply (exit {exit})");
            if (exit == 0) break;
            applyKilled++;
        }
        Assert.True(applyKilled >= 1, "no bundle apply was killed before it finished");
        Assert.Equal(0, Run(other.Path, null, "bundle", "apply", update).Code);
        Assert.Equal(store.Head("tiny-task")!.Id, target.Head("tiny-task")!.Id);
        AssertIntact(target, expected.Where(e => target.Refs.Versions("tiny-task").Any(v => v.Id == e.Key)).ToDictionary(), "after the final apply");
        Assert.Equal(store.Refs.Versions("tiny-task").Count, target.Refs.Versions("tiny-task").Count);
    }

    /// <summary>Runs cadre as a process; with a delay, SIGKILLs it then (if still running). Returns the exit code and seconds.</summary>
    private static (int Code, double Seconds) Run(string home, TimeSpan? killAfter, params string[] args)
    {
        var info = new ProcessStartInfo(Cadre) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["CADRE_HOME"] = home;
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (killAfter is { } delay && !p.WaitForExit(delay))
            p.Kill(entireProcessTree: true);
        p.WaitForExit();
        return (p.ExitCode, watch.Elapsed.TotalSeconds);
    }

    private static Dictionary<string, string> Hashes(CadreStore store, VersionInfo v)
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "v");
        Snapshots.Materialize(store.Objects, v.Record.Manifest, folder); // from the objects, not a cached checkout
        return Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), f => { using var s = File.OpenRead(f); return Convert.ToHexStringLower(SHA256.HashData(s)); });
    }

    private static void AssertIntact(CadreStore store, IReadOnlyDictionary<string, Dictionary<string, string>> expected, string when)
    {
        var report = store.Verify();
        Assert.True(report.Ok, when + ": " + string.Join("\n", report.Problems));
        foreach (var (id, files) in expected)
        {
            var actual = Hashes(store, store.ReadVersion(id));
            Assert.True(files.Count == actual.Count && files.All(f => actual.GetValueOrDefault(f.Key) == f.Value), $"{when}: version {id[..12]} reads back changed");
        }
    }
}
