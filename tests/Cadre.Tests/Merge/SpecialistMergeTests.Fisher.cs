using Cadre.Composition;
using Cadre.Specialists;
using Cadre.Tensors;
using Cadre.Training;
using static TorchSharp.torch;

namespace Cadre.Tests.Merge;

/// <summary>The diagonal Fisher estimate: two independent ways of getting per-example gradients agree; its inputs are checked.</summary>
public sealed partial class SpecialistMergeTests
{
    private (SpecialistRecord Record, string Folder, IReadOnlyDictionary<string, long[]> Keys) Lora(string name)
    {
        var catalog = new SpecialistCatalog(trained.Home);
        using var source = TaskVectorSource.Open(name, "lora", catalog.FolderOf(name), null);
        return (catalog.Get(name), catalog.FolderOf(name), source.Shapes.ToDictionary());
    }

    [Fact]
    public void PerRowGradientsFromSiteInputsMatchAutogradOnTheWeights()
    {
        // The batched path squares δᵀx per row; the per-example path runs autograd on the base weight itself.
        var (record, folder, keys) = Lora("pets-lora");
        var batched = FisherEstimator.Estimate(trained.Home, record, folder, keys, new FisherOptions { Examples = 20 }, cancel: TestContext.Current.CancellationToken);
        var single = FisherEstimator.Estimate(trained.Home, record, folder, keys, new FisherOptions { Examples = 20, PerExample = true }, cancel: TestContext.Current.CancellationToken);
        Assert.NotEqual(batched.File, single.File);
        using var a = SafetensorsReader.Open(batched.File);
        using var b = SafetensorsReader.Open(single.File);
        Assert.Equal(keys.Keys.Order(), a.Tensors.Select(t => t.Name).Order());
        using var scope = NewDisposeScope();
        foreach (var key in keys.Keys)
        {
            var x = a.ReadTensor(key);
            var y = b.ReadTensor(key);
            Assert.True(x.sum().item<float>() > 0, $"{key}: an all-zero Fisher");
            Assert.True(x.allclose(y, rtol: 1e-3, atol: 1e-9), $"{key}: batched and per-example Fisher differ by {(x - y).abs().max().item<float>()}");
        }
        Assert.Equal(batched.Norm, single.Norm, 3);
        Assert.Equal(0, batched.LeftOutMass, 6); // two classes, both in the expectation
    }

    [Fact]
    public void AnExpectationOverFewerClassesReportsTheMassItLeavesOut()
    {
        var (record, folder, keys) = Lora("colors-lora");
        var top = FisherEstimator.Estimate(trained.Home, record, folder, keys, new FisherOptions { Examples = 8, Classes = 1 }, cancel: TestContext.Current.CancellationToken);
        Assert.InRange(top.LeftOutMass, 1e-6, 0.5);
        var gold = FisherEstimator.Estimate(trained.Home, record, folder, keys, new FisherOptions { Examples = 8, Labels = "gold" }, cancel: TestContext.Current.CancellationToken);
        Assert.True(gold.Norm > 0);
        Assert.False(gold.Cached);
        Assert.True(FisherEstimator.Estimate(trained.Home, record, folder, keys, new FisherOptions { Examples = 8, Labels = "gold" }, cancel: TestContext.Current.CancellationToken).Cached);
    }

    [Fact]
    public void AFisherWithoutItsTrainingDataIsAClearError()
    {
        var folder = Path.Combine(trained.Work, "moved");
        Assert.Equal(0, trained.Cli.Run("specialist", "export", "pets-lora", "-o", folder).ExitCode);
        var json = Path.Combine(folder, "cadre.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("pets-train.tsv", "gone-train.tsv"));
        Assert.Equal(0, trained.Cli.Run("specialist", "import", folder, "--name", "pets-moved").ExitCode);
        var merge = trained.Cli.Run("merge", "--method", "fisher", "--inputs", "pets-moved,colors-lora", "-o", "x", "--fisher-examples", "4");
        Assert.Equal(1, merge.ExitCode);
        Assert.Contains("the Fisher of 'pets-moved' needs its own training data, but its train file", merge.Error);
        Assert.Contains("gone-train.tsv is gone", merge.Error);
    }

    [Fact]
    public void Ia3SpecialistsMergeByFisherOnTheirOwnVectors()
    {
        var merge = trained.Cli.Run("merge", "--method", "fisher", "--inputs", "pets-ia3,colors-ia3", "-o", "ia3-fisher", "--fisher-examples", "6", "--no-eval");
        Assert.True(merge.ExitCode == 0, merge.Error + merge.Out);
        Assert.Equal("ia3", new SpecialistCatalog(trained.Home).Get("ia3-fisher").Method);
    }
}
