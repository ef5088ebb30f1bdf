using Cadre.Specialists;
using Cadre.Tensors;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;
using Cadre.Training;
using static TorchSharp.torch;

namespace Cadre.Tests.Training;

/// <summary>A run whose loss or weights stop being finite says where and stores nothing.</summary>
[Collection(TorchCollection.Name)]
public sealed class DivergenceTests
{
    [Theory]
    [InlineData("head")]
    [InlineData("lora")]
    public void AHugeLearningRateDivergesClearlyAndStoresNothing(string method)
    {
        using var dir = new TempDir();
        var cli = new CliRunner(dir.File("home"));
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        TinyTask.WriteTsv(dir.File("train.tsv"), 120, 1);
        File.WriteAllText(dir.File("cadre.yaml"), $"""
            specialists:
              - name: blowup
                base: tiny
                data: {"{"}train: train.tsv{"}"}
                adapter: {"{"}method: {method}{"}"}
                training: {"{"}epochs: 3, learning_rate: 1e30, head_learning_rate: 1e30, batch_size: 16{"}"}
            """);
        var r = cli.Run("train", dir.File("cadre.yaml"));
        Assert.True(r.ExitCode != 0, r.Out);
        // Progress lines come first on stderr; the error is one line of its own, the last.
        var lines = r.Error.Replace('\r', '\n').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = lines[^1];
        Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Matches(@"^error: training diverged: the loss became (NaN|infinite) at epoch 1, step \d+ \(batch \d+ of 7\); nothing was stored\. Lower the learning rate \(learning_rate 1E\+30", error);
        Assert.False(new SpecialistCatalog(cli.Home).Contains("blowup"));
        Assert.False(Directory.Exists(Path.Combine(cli.Home, "runs", "blowup"))); // no checkpoint to resume into the same divergence
    }

    [Fact]
    public void NonFiniteTensorsAreFoundInMemoryAndInStagedFiles()
    {
        using var dir = new TempDir();
        using (var scope = NewDisposeScope())
        {
            var fine = new Dictionary<string, Tensor> { ["w"] = ones(3), ["steps"] = tensor(new long[] { 1, 2 }) };
            Assert.Null(FiniteCheck.FirstNonFinite(fine));
            Assert.Equal("b", FiniteCheck.FirstNonFinite(new Dictionary<string, Tensor> { ["a"] = ones(2), ["b"] = tensor(new[] { 1f, float.PositiveInfinity }) }));
            SafetensorsWriter.Write(dir.File("head.safetensors"), fine);
            FiniteCheck.RequireFiniteFiles(dir.Path, "spam");
            SafetensorsWriter.Write(dir.File("adapter_model.safetensors"), new Dictionary<string, Tensor> { ["lora_A"] = tensor(new[] { 0f, float.NaN }).to(ScalarType.Float16) });
        }
        var e = Assert.Throws<TrainingDivergedException>(() => FiniteCheck.RequireFiniteFiles(dir.Path, "spam"));
        Assert.Contains("spam: training diverged: tensor 'lora_A' of adapter_model.safetensors holds NaN or infinite values; nothing was stored", e.Message);
    }
}
