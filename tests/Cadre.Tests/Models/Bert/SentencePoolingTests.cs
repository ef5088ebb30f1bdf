using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Bert;

[Collection(TorchCollection.Name)]
public sealed class SentencePoolingTests
{
    [Fact]
    public void WithoutModulesJsonPoolingIsAnUnnormalizedMean()
    {
        using var dir = new TempDir();
        var pooling = SentencePooling.Load(dir.Path);
        Assert.Equal([PoolingMode.Mean], pooling.Modes);
        Assert.False(pooling.Normalize);
    }

    [Fact]
    public void SeveralModesConcatenateInSentenceTransformersOrder()
    {
        using var dir = new TempDir();
        WriteModules(dir, "Transformer", "Pooling");
        File.WriteAllText(Path.Combine(dir.Path, "1_Pooling", "config.json"),
            """{"pooling_mode_mean_tokens": true, "pooling_mode_cls_token": true, "pooling_mode_max_tokens": false}""");
        var pooling = SentencePooling.Load(dir.Path);
        Assert.Equal([PoolingMode.Cls, PoolingMode.Mean], pooling.Modes);
        Assert.Equal(64, pooling.Dimension(32));

        using var scope = NewDisposeScope();
        // Row 0: tokens [1, 2] and [3, 4], then a padded [100, 100] that must not count.
        var hidden = tensor(new float[] { 1, 2, 3, 4, 100, 100 }, [1, 3, 2]);       // (B, T, H)
        var mask = tensor(new long[] { 1, 1, 0 }, [1, 3]);                          // (B, T)
        Assert.Equal([1f, 2, 2, 3], pooling.Apply(hidden, mask).data<float>().ToArray());
        var max = new SentencePooling { Modes = [PoolingMode.Max] }.Apply(hidden, mask);
        Assert.Equal([3f, 4], max.data<float>().ToArray());
    }

    [Fact]
    public void ModulesCadreCannotReproduceAreRejected()
    {
        using var dir = new TempDir();
        WriteModules(dir, "Transformer", "Pooling", "Dense");
        File.WriteAllText(Path.Combine(dir.Path, "1_Pooling", "config.json"), """{"pooling_mode_mean_tokens": true}""");
        var error = Assert.Throws<CadreException>(() => SentencePooling.Load(dir.Path));
        Assert.Equal("modules.json: [2].type: sentence_transformers.models.Dense is not supported; Cadre reproduces "
            + "sentence-transformers pipelines of Transformer, Pooling and Normalize modules", error.Message);

        WriteModules(dir, "Transformer", "Pooling");
        File.WriteAllText(Path.Combine(dir.Path, "1_Pooling", "config.json"), """{"pooling_mode_weightedmean_tokens": true}""");
        error = Assert.Throws<CadreException>(() => SentencePooling.Load(dir.Path));
        Assert.Contains("1_Pooling/config.json: pooling_mode_weightedmean_tokens: is not supported", error.Message);
    }

    private static void WriteModules(TempDir dir, params string[] types)
    {
        Directory.CreateDirectory(Path.Combine(dir.Path, "1_Pooling"));
        var modules = types.Select((t, i) =>
            $$"""{"idx": {{i}}, "name": "{{i}}", "path": "{{(i == 0 ? "" : $"{i}_{t}")}}", "type": "sentence_transformers.models.{{t}}"}""");
        File.WriteAllText(dir.File("modules.json"), "[" + string.Join(",", modules) + "]");
    }
}
