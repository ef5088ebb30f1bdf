using System.Globalization;
using System.Text.Json;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>Multilabel and regression specialists end to end: train, eval, predict, stored metrics.</summary>
[Collection(TorchCollection.Name)]
public sealed class TaskKindCommandTests
{
    private static readonly string[] Fillers = ["the", "a", "big", "small", "is", "on", "mat", "sat", "and"];

    /// <summary>Sentences with an animal word, a color word, both or neither; labels name which are present.</summary>
    private static IEnumerable<(string Text, string Labels, double Target)> Rows(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var (animal, color) = (i % 4 is 0 or 1, i % 4 is 1 or 2);
            var words = Enumerable.Range(0, 2 + random.Next(3)).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            if (animal) words.Insert(random.Next(words.Count + 1), random.Next(2) == 0 ? "cat" : "dog");
            if (color) words.Insert(random.Next(words.Count + 1), random.Next(2) == 0 ? "red" : "blue");
            var labels = string.Join(",", new[] { animal ? "animal" : null, color ? "color" : null }.OfType<string>());
            // A target in its own units far from zero: 100 + 40 per animal word + 10 per color word, plus noise.
            yield return (string.Join(' ', words), labels, 100 + (animal ? 40 : 0) + (color ? 10 : 0) + random.NextDouble());
        }
    }

    private static string Prepare(CliRunner cli, string folder, string task, string adapter, string column, bool import = true)
    {
        if (import)
            Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        foreach (var (file, count, seed) in new[] { ("train.tsv", 160, 1), ("test.tsv", 40, 2) })
            File.WriteAllLines(Path.Combine(folder, file), new[] { "text\tlabels\ttarget" }.Concat(Rows(count, seed)
                .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Text}\t{r.Labels}\t{r.Target:F3}"))));
        var spec = Path.Combine(folder, "cadre.yaml");
        File.WriteAllText(spec, $"""
            specialists:
              - name: {task}-task
                base: tiny
                task: {task}
                data:
                  train: train.tsv
                  test: test.tsv
                  label: {column}
                adapter:
                  {adapter}
                training:
                  epochs: 25
                  learning_rate: 1e-2
                  batch_size: 16
                  early_stopping: 0
            """);
        return spec;
    }

    [Theory]
    [InlineData("method: head")]
    [InlineData("method: lora")]
    public void MultilabelSpecialistsLearnEachLabelOnItsOwn(string adapter)
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var train = cli.Run("train", Prepare(cli, work.Path, "multilabel", adapter, "labels"));
        Assert.True(train.ExitCode == 0, train.Error + train.Out);
        Assert.Contains("micro-F1", train.Out);

        var eval = cli.Run("eval", "multilabel-task", "--data", Path.Combine(work.Path, "test.tsv"), "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        using var m = JsonDocument.Parse(eval.Out);
        Assert.True(m.RootElement.GetProperty("micro_f1").GetDouble() >= 0.8, eval.Out);
        Assert.Equal(2, m.RootElement.GetProperty("per_label").GetArrayLength());

        var predict = cli.Run("predict", "multilabel-task", "--json", "the red dog sat", "a big mat");
        Assert.True(predict.ExitCode == 0, predict.Error);
        var rows = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // Labels are independent: probabilities need not sum to one, and the chosen ones are those at or above 0.5.
        foreach (var row in rows)
        {
            var chosen = row.GetProperty("labels").EnumerateArray().Select(x => x.GetString()).ToHashSet();
            foreach (var p in row.GetProperty("probabilities").EnumerateObject())
                Assert.Equal(p.Value.GetDouble() >= 0.5, chosen.Contains(p.Name));
        }
        Assert.Equal(["animal", "color"], rows[0].GetProperty("labels").EnumerateArray().Select(x => x.GetString()).Order());
        Assert.Empty(rows[1].GetProperty("labels").EnumerateArray());
    }

    [Fact]
    public void RegressionSpecialistsPredictInTheTargetsOwnUnits()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var train = cli.Run("train", Prepare(cli, work.Path, "regression", "method: head", "target"));
        Assert.True(train.ExitCode == 0, train.Error + train.Out);
        Assert.Contains("validation rmse", train.Out);
        Assert.Contains("rows, targets 12", train.Out); // the data check reports the targets' spread, not classes

        var eval = cli.Run("eval", "regression-task", "--data", Path.Combine(work.Path, "test.tsv"), "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        using var m = JsonDocument.Parse(eval.Out);
        // The targets spread about 16 around 125: a useful model is far better than predicting the mean.
        Assert.True(m.RootElement.GetProperty("rmse").GetDouble() < 8, eval.Out);
        Assert.True(m.RootElement.GetProperty("spearman").GetDouble() > 0.7, eval.Out);

        var predict = cli.Run("predict", "regression-task", "--json", "the dog sat", "a red mat");
        Assert.True(predict.ExitCode == 0, predict.Error);
        var values = predict.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("value").GetDouble()).ToList();
        Assert.True(values[0] > values[1] + 15, predict.Out); // about 140 against 110

        var exported = Path.Combine(work.Path, "exported");
        Assert.Equal(0, cli.Run("specialist", "export", "regression-task", "-o", exported).ExitCode);
        var import = cli.Run("specialist", "import", exported, "--name", "copy");
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Equal(predict.Out, cli.Run("predict", "copy", "--json", "the dog sat", "a red mat").Out);

        var bad = cli.Run("train", Prepare(cli, work.Path, "regression", "method: head", "labels", import: false));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("is not a number", bad.Error);
    }
}
