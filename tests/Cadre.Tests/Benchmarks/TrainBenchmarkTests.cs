using Cadre.Benchmarks;
using Cadre.Models.Bert;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Benchmarks;

[Collection(TorchCollection.Name)]
public sealed class TrainBenchmarkTests
{
    [Fact]
    public void ForwardFlopsCountEverySiteAndAttention()
    {
        using var model = BertModel.Load(TinyTask.TinyBert);
        // Per layer and token: q, k, v, o (4 × 2·32·32) + up and down (2 × 2·32·64) = 16,384; attention 4·T²·32;
        // the pooler once: 2·32·32.
        const int t = 10;
        Assert.Equal(2 * (16_384.0 * t + 4 * t * t * 32) + 2 * 32 * 32, TrainBenchmark.ForwardFlops(model, t));
    }

    [Fact]
    public void BenchTrainMeasuresEveryMethod()
    {
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var run = cli.Run("bench", "train", "--base", "tiny", "--seconds", "0.05", "--length", "8", "--batch", "4");
        Assert.True(run.ExitCode == 0, run.Error);
        foreach (var method in new[] { "head", "lora", "ia3", "prompt", "full" })
            Assert.Contains($"| {method} |", run.Out);
        Assert.Contains("share of ceiling", run.Out);
    }
}
