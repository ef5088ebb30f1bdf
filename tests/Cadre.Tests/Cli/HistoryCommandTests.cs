using System.Text.Json;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>cadre train records versions; log, show, diff, checkout, branch, tag, gc and verify work on them.</summary>
[Collection(TorchCollection.Name)]
public sealed class HistoryCommandTests
{
    private static string[] Predictions(CliRunner cli, string name) =>
        cli.Run("predict", name, "--json", "the big dog sat", "a red mat", "blue and slow").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void EveryTrainingIsAVersionThatCanBeComparedAndCheckedOut()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, adapter: "method: lora\n      r: 2", epochs: 1);
        var first = cli.Run("train", spec);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("version 1 (", first.Out);
        var before = Predictions(cli, "tiny-task");
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("epochs: 1", "epochs: 3"));
        var second = cli.Run("train", spec);
        Assert.Contains("version 2 (", second.Out);
        var after = Predictions(cli, "tiny-task");
        Assert.NotEqual(before, after);

        var log = cli.Run("log", "tiny-task");
        Assert.True(log.ExitCode == 0, log.Error);
        Assert.Contains("version 2", log.Out);
        Assert.Contains("(HEAD -> main)", log.Out);
        Assert.Contains("train lora on tiny", log.Out);
        Assert.True(log.Out.IndexOf("version 2", StringComparison.Ordinal) < log.Out.IndexOf("version 1", StringComparison.Ordinal));

        var diff = cli.Run("diff", "tiny-task@1", "tiny-task@2", "--json");
        Assert.True(diff.ExitCode == 0, diff.Error);
        using var doc = JsonDocument.Parse(diff.Out);
        var tensors = doc.RootElement.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Contains(tensors, t => t.GetProperty("name").GetString()!.EndsWith("lora_B.weight", StringComparison.Ordinal)
                                      && t.GetProperty("status").GetString() == "changed" && t.GetProperty("l2").GetDouble() > 0);
        Assert.Contains(tensors, t => t.GetProperty("name").GetString() == "classifier.weight" && t.GetProperty("status").GetString() == "changed");
        var sites = doc.RootElement.GetProperty("lora_sites").EnumerateArray().ToList();
        Assert.NotEmpty(sites);
        Assert.All(sites, s => Assert.InRange(s.GetProperty("rank").GetInt32(), 1, 4)); // the change of two rank-2 updates
        Assert.All(sites, s => Assert.InRange(s.GetProperty("effective_rank").GetDouble(), 1.0, 4.0));
        Assert.Contains("changed", cli.Run("diff", "tiny-task@2").Out); // alone: against its parent

        Assert.Equal(before, Predictions(cli, "tiny-task@1"));
        var checkout = cli.Run("checkout", "tiny-task@1");
        Assert.True(checkout.ExitCode == 0, checkout.Error);
        Assert.Contains("detached", checkout.Out);
        Assert.Equal(before, Predictions(cli, "tiny-task"));
        Assert.Equal(0, cli.Run("checkout", "tiny-task@main").ExitCode);
        Assert.Equal(after, Predictions(cli, "tiny-task"));

        Assert.Equal(0, cli.Run("tag", "tiny-task@1", "first").ExitCode);
        Assert.Equal(0, cli.Run("branch", "tiny-task@first", "retry").ExitCode);
        Assert.Contains("retry", cli.Run("branch", "tiny-task").Out);
        Assert.Contains("first", cli.Run("tag", "tiny-task").Out);
        var show = cli.Run("show", "tiny-task@first");
        Assert.Contains("version 1 of tiny-task", show.Out);
        Assert.Contains("adapter_model.safetensors", show.Out);
        Assert.Equal(0, cli.Run("branch", "tiny-task", "-d", "retry").ExitCode);

        Assert.Equal(0, cli.Run("gc").ExitCode);
        var verify = cli.Run("verify");
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        Assert.Contains(": ok", verify.Out);
        Assert.Equal(before, Predictions(cli, "tiny-task@first"));
    }

    [Fact]
    public void BadRevisionsAndACorruptStoreAreClearErrors()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, epochs: 1);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        foreach (var args in new[] { new[] { "log", "nope" }, ["show", "tiny-task@7"], ["diff", "tiny-task@1"], ["checkout", "tiny-task@zzz"], ["predict", "tiny-task@", "x"], ["tag", "tiny-task", "bad/../name"] })
        {
            var r = cli.Run(args);
            Assert.True(r.ExitCode == 1, string.Join(' ', args) + ": " + r.Out + r.Error);
            Assert.StartsWith("error: ", r.Error);
        }

        var store = new SpecialistCatalog(home.Path).Store;
        var manifest = store.ReadManifest(store.Head("tiny-task")!);
        var head = manifest.File("head.safetensors")!.Tensors![0].Id;
        Store.StoreFixtures.Corrupt(store.Objects, head);
        var verify = cli.Run("verify");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains(head, verify.Out);
    }

    [Fact]
    public void FoldersOfEarlierReleasesBecomeAFirstVersion()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, epochs: 1);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        var before = Predictions(cli, "tiny-task");
        // Lay the files out as releases before the store did, under another name, and drop the store's copy.
        var legacy = Path.Combine(home.Path, "specialists", "old-one");
        Directory.CreateDirectory(legacy);
        var folder = new SpecialistCatalog(home.Path).FolderOf("tiny-task");
        foreach (var f in Directory.GetFiles(folder))
            File.Copy(f, Path.Combine(legacy, Path.GetFileName(f)));
        var record = Path.Combine(legacy, "cadre.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace("\"name\": \"tiny-task\"", "\"name\": \"old-one\""));
        Assert.Equal(before, Predictions(cli, "old-one"));
        Assert.Contains("migrated from", cli.Run("log", "old-one").Out);
        Assert.False(Directory.Exists(legacy));
    }
}
