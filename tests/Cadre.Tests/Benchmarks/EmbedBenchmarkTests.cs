using Cadre.Benchmarks;
using Cadre.Models.UseLite;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;
using Cadre.Tests.Models.UseLite;

namespace Cadre.Tests.Benchmarks;

/// <summary><c>cadre bench embed</c>: the batches it measures and the share of the work that padding costs.</summary>
[Collection(TorchCollection.Name)]
public sealed class EmbedBenchmarkTests
{
    private static readonly UseLiteConfig Config = new()
    {
        VocabSize = 10, EmbeddingSize = 4, HiddenSize = 4, MaxLength = 128,
        Layers = [new UseLiteLayerConfig(4, 4, 1, 1, 8)],
    };

    [Fact]
    public void PaddingCountsEveryRowAtItsBatchsLongest()
    {
        int[] tokens = [2, 10, 10];
        var (useful, computed) = EmbedBenchmark.BatchFlops(Config, tokens, [0, 1, 2]);
        Assert.Equal(EmbedBenchmark.FlopsPerSentence(Config, 2) + 2 * EmbedBenchmark.FlopsPerSentence(Config, 10), useful);
        Assert.Equal(3 * EmbedBenchmark.FlopsPerSentence(Config, 10), computed);
        Assert.True(useful < computed);
        var (alone, asRun) = EmbedBenchmark.BatchFlops(Config, tokens, [1, 2]);
        Assert.Equal(alone, asRun); // equal lengths: nothing padded
    }

    [Fact]
    public void BatchesAreCadreEmbedsLengthOrderCoveringEveryTextOnce()
    {
        string[] texts = ["a much longer sentence than the others", "short", "mid length one", "tiny", "x", "medium sized text"];
        var batches = UseLiteModel.Batches(texts, 4);
        Assert.Equal([4, 2], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, texts.Length), batches.SelectMany(b => b).Order());
        var lengths = batches.SelectMany(b => b).Select(i => texts[i].Length).ToArray();
        Assert.Equal(lengths.Order(), lengths);
        Assert.Equal([[0, 1, 2], [3]], EmbedBenchmark.InFileOrder(4, 3));
    }

    [Fact]
    public void BenchEmbedRunsOnTheUsersSentencesAndReportsTheUsefulShare()
    {
        var package = SharedData.Require(UseLiteFixture.PackagePath);
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", package, "--name", "use-lite").ExitCode);
        var file = Path.Combine(home.Path, "mine.txt");
        // One long sentence among short ones: in file order it pads its batch; sorted by length it does not.
        var longOne = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 6));
        File.WriteAllLines(file, ["hi there", longOne, "good morning", "how are you", "see you soon", longOne + " again"]);
        var run = cli.Run("bench", "embed", "--base", "use-lite", "--input", file, "--no-reference", "--seconds", "0.05");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("6 sentences (mine.txt)", run.Out);
        Assert.Contains("--input " + file, run.Out);
        var rows = run.Out.Split('\n').Where(l => l.StartsWith("| Cadre", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, rows.Length);
        double Share(string row) => double.Parse(row.Split('|')[^2].Trim().TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(100.0, Share(rows[0])); // batch 1: no padding
        Assert.Contains("by length (cadre embed)", rows[2]);
        Assert.True(Share(rows[1]) < 100.0, rows[1]); // six sentences, one batch: the short ones pad to the longest
    }

    [Fact]
    public void BenchEmbedWithAMissingInputSaysSo()
    {
        using var home = new TempDir();
        var run = new CliRunner(home.Path).Run("bench", "embed", "--input", Path.Combine(home.Path, "none.txt"), "--no-reference");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("none.txt: file not found", run.Error);
    }
}
