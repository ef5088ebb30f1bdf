using System.Text.Json;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>What history commands tell a user: which settings two versions differ in, and where HEAD is.</summary>
[Collection(TorchCollection.Name)]
public sealed class VersionHistoryUxTests
{
    [Fact]
    public void DiffOfTwoTrainingsWithOtherSettingsNamesTheChangedKeys()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, adapter: "method: lora\n      r: 2\n      alpha: 4\n      dropout: 0.1", epochs: 1);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("alpha: 4", "alpha: 8").Replace("dropout: 0.1", "dropout: 0.2"));
        Assert.Equal(0, cli.Run("train", spec).ExitCode);

        var text = cli.Run("diff", "tiny-task@1", "tiny-task@2");
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("changed   file   adapter_config.json", text.Out);
        Assert.Contains("lora_alpha: 4 -> 8", text.Out);
        Assert.Contains("lora_dropout: 0.1 -> 0.2", text.Out);

        var json = cli.Run("diff", "tiny-task@1", "tiny-task@2", "--json");
        using var doc = JsonDocument.Parse(json.Out);
        var config = doc.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "adapter_config.json");
        var alpha = config.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("key").GetString() == "lora_alpha");
        Assert.Equal(("changed", "4", "8"), (alpha.GetProperty("status").GetString(), alpha.GetProperty("from").GetString(), alpha.GetProperty("to").GetString()));
        // cadre.json records the training settings too, nested keys dotted.
        var record = doc.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "cadre.json");
        Assert.Contains(record.GetProperty("keys").EnumerateArray(), k => k.GetProperty("key").GetString()!.Contains('.', StringComparison.Ordinal));
    }

    [Fact]
    public void CheckoutSaysWhenHeadIsDetachedAndLogAndShowSayItToo()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, epochs: 1);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);

        Assert.Equal(0, cli.Run("checkout", "tiny-task@1").ExitCode);
        var second = cli.Run("checkout", "tiny-task@2"); // the tip of main, but by number: still detached
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("HEAD is now detached at tiny-task@2", second.Out);
        Assert.Contains("also the tip of main", second.Out);
        Assert.Contains("Back to the branch: cadre checkout tiny-task@main", second.Out);

        var log = cli.Run("log", "tiny-task");
        Assert.Contains("tiny-task: HEAD detached at version 2", log.Out);
        Assert.Contains("(HEAD detached, main)", log.Out);
        Assert.Contains("HEAD detached at version 2", cli.Run("specialist", "show", "tiny-task").Out);
        Assert.Contains("HEAD detached at version 2", cli.Run("show", "tiny-task@1").Out);

        // The advertised way back works, and then nothing says detached.
        var back = cli.Run("checkout", "tiny-task@main");
        Assert.Contains("on branch main at version 2", back.Out);
        Assert.DoesNotContain("detached", cli.Run("log", "tiny-task").Out);
        Assert.Contains("on branch main at version 2", cli.Run("specialist", "show", "tiny-task").Out);
    }
}
