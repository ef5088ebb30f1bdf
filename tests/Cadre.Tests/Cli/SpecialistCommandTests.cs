using System.Text.Json;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>train, predict, eval and specialist list/show end to end on a tiny BERT base and a tiny task.</summary>
[Collection(TorchCollection.Name)]
public sealed class SpecialistCommandTests
{
    [Fact]
    public void TrainPredictEvalAndShowAHeadSpecialist()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path);

        var train = cli.Run("train", spec);
        Assert.True(train.ExitCode == 0, train.Error + train.Out);
        Assert.Contains("stored specialist 'tiny-task'", train.Out);
        Assert.Contains("exact duplicates", train.Out);

        var eval = cli.Run("eval", "tiny-task", "--data", Path.Combine(work.Path, "test.tsv"), "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        using var metrics = JsonDocument.Parse(eval.Out);
        Assert.True(metrics.RootElement.GetProperty("accuracy").GetDouble() >= 0.75, eval.Out);
        Assert.True(metrics.RootElement.TryGetProperty("macro_f1", out _));

        var predict = cli.Run("predict", "tiny-task", "--json", "the big dog sat", "a red mat");
        Assert.True(predict.ExitCode == 0, predict.Error);
        var lines = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains(l.GetProperty("label").GetString(), new[] { "animal", "color" }));
        foreach (var line in lines)
        {
            var sum = line.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble());
            Assert.Equal(1.0, sum, 3);
        }

        Assert.Contains("tiny-task", cli.Run("specialist", "list").Out);
        using var shown = JsonDocument.Parse(cli.Run("specialist", "show", "tiny-task", "--json").Out);
        Assert.Equal("head", shown.RootElement.GetProperty("method").GetString());
    }

    [Fact]
    public void UnknownSpecialistAndUnknownLabelsAreClearErrors()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var missing = cli.Run("predict", "nope", "text");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nope", missing.Error);

        var spec = TinyTask.Prepare(cli, work.Path);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        var odd = Path.Combine(work.Path, "odd.tsv");
        File.WriteAllLines(odd, ["text\tlabel", "the cat\tanimal", "the sky\tweather"]);
        var eval = cli.Run("eval", "tiny-task", "--data", odd);
        Assert.Equal(1, eval.ExitCode);
        Assert.Contains("weather", eval.Error);
    }

    [Fact]
    public void ExportWritesAPeftFolderThatImportsBackToTheSamePredictions()
    {
        using var home = new TempDir();
        using var other = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, "method: lora", epochs: 2);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        var folder = Path.Combine(work.Path, "export");
        var export = cli.Run("specialist", "export", "tiny-task", "-o", folder);
        Assert.True(export.ExitCode == 0, export.Error);
        foreach (var file in new[] { "adapter_config.json", "adapter_model.safetensors", "head.safetensors", "labels.json", "cadre.json" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json"))))
        {
            Assert.Equal("LORA", config.RootElement.GetProperty("peft_type").GetString());
            Assert.Equal(8, config.RootElement.GetProperty("r").GetInt32());
            Assert.Equal("tiny", config.RootElement.GetProperty("base_model_name_or_path").GetString());
            Assert.True(config.RootElement.GetProperty("target_modules").GetArrayLength() > 0);
        }

        var elsewhere = new CliRunner(other.Path);
        var early = elsewhere.Run("specialist", "import", folder, "--name", "copy");
        Assert.Contains("not imported here yet", early.Out);
        Assert.Equal(0, elsewhere.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        string[] texts = ["the big dog sat", "a red mat", "blue is not slow"];
        Assert.Equal(cli.Run(["predict", "tiny-task", "--json", .. texts]).Out, elsewhere.Run(["predict", "copy", "--json", .. texts]).Out);

        var again = elsewhere.Run("specialist", "import", folder, "--name", "copy");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Error);
    }

    [Fact]
    public void ImportRefusesBrokenFolders()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, "method: ia3", epochs: 1);
        Assert.Equal(0, cli.Run("train", spec).ExitCode);
        var folder = Path.Combine(work.Path, "export");
        Assert.Equal(0, cli.Run("specialist", "export", "tiny-task", "-o", folder).ExitCode);

        File.Move(Path.Combine(folder, "cadre.json"), Path.Combine(work.Path, "cadre.json"));
        var bare = cli.Run("specialist", "import", folder, "--name", "x");
        Assert.Equal(1, bare.ExitCode);
        Assert.Contains("bare PEFT adapter", bare.Error);
        File.Move(Path.Combine(work.Path, "cadre.json"), Path.Combine(folder, "cadre.json"));

        var weights = Path.Combine(folder, "adapter_model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..40]);
        var truncated = cli.Run("specialist", "import", folder, "--name", "y");
        Assert.Equal(1, truncated.ExitCode);
        Assert.Contains("adapter_model.safetensors", truncated.Error);
        Assert.DoesNotContain("y", cli.Run("specialist", "list").Out.Split('\n').Select(l => l.Split(' ')[0]));

        var notEmpty = Path.Combine(work.Path, "train.tsv");
        var export = cli.Run("specialist", "export", "tiny-task", "-o", work.Path);
        Assert.Equal(1, export.ExitCode);
        Assert.True(File.Exists(notEmpty));
    }
}
