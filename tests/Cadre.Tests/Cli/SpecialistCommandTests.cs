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
}
