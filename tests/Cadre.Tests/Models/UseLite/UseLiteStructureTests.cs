using Cadre.Models;
using Cadre.Models.UseLite;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.UseLite;

/// <summary>Key names and shapes are public API: this snapshot makes any rename a visible decision.</summary>
[Collection(TorchCollection.Name)]
public sealed class UseLiteStructureTests
{
    /// <summary>The configuration the converter reads from the real graph (checked against it in UseLiteParityTests).</summary>
    internal static readonly UseLiteConfig RealConfig = new()
    {
        VocabSize = 8002, EmbeddingSize = 256, HiddenSize = 512, MaxLength = 128, LayerNormEpsilon = 1e-6f,
        L2Epsilon = 1e-12f, TimingChannels = 256,
        Layers = [new(256, 256, 4, 0.125f, 1536), new(512, 512, 4, 0.0883883461f, 1536)],
    };

    private const string Snapshot = """
        embeddings.weight [8002, 256]
        layers.0.attention.key.bias [256]
        layers.0.attention.key.weight [256, 256]
        layers.0.attention.output.bias [512]
        layers.0.attention.output.weight [512, 256]
        layers.0.attention.query.bias [256]
        layers.0.attention.query.weight [256, 256]
        layers.0.attention.value.bias [256]
        layers.0.attention.value.weight [256, 256]
        layers.0.attention_norm.bias [256]
        layers.0.attention_norm.weight [256]
        layers.0.ffn.intermediate.bias [1536]
        layers.0.ffn.intermediate.weight [1536, 512]
        layers.0.ffn.output.bias [512]
        layers.0.ffn.output.weight [512, 1536]
        layers.0.ffn_norm.bias [512]
        layers.0.ffn_norm.weight [512]
        layers.0.residual.bias [512]
        layers.0.residual.weight [512, 256]
        layers.1.attention.key.bias [512]
        layers.1.attention.key.weight [512, 512]
        layers.1.attention.output.bias [512]
        layers.1.attention.output.weight [512, 512]
        layers.1.attention.query.bias [512]
        layers.1.attention.query.weight [512, 512]
        layers.1.attention.value.bias [512]
        layers.1.attention.value.weight [512, 512]
        layers.1.attention_norm.bias [512]
        layers.1.attention_norm.weight [512]
        layers.1.ffn.intermediate.bias [1536]
        layers.1.ffn.intermediate.weight [1536, 512]
        layers.1.ffn.output.bias [512]
        layers.1.ffn.output.weight [512, 1536]
        layers.1.ffn_norm.bias [512]
        layers.1.ffn_norm.weight [512]
        pooler.dense.bias [512]
        pooler.dense.weight [512, 512]
        timing.inv_timescales [128]
        """;

    [Fact]
    public void CheckpointKeyNamesAndShapesAreStable()
    {
        using var model = UseLiteModel.Create(RealConfig);
        var keys = model.Module.state_dict().Select(p => $"{p.Key} [{string.Join(", ", p.Value.shape)}]").Order(StringComparer.Ordinal);
        Assert.Equal(Snapshot.Split('\n').Select(l => l.Trim()), keys);
    }

    [Fact]
    public void EveryLinearIsAFrozenAdapterSite()
    {
        using var model = UseLiteModel.Create(RealConfig);
        Assert.Equal(14, model.Sites.Count);
        Assert.All(model.Sites, s => Assert.IsType<AdaptableLinear>(s.Value));
        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));
        Assert.Contains("layers.1.attention.query", model.Sites.Keys);
        Assert.Contains("pooler.dense", model.Sites.Keys);
    }

    [Fact]
    public void ConvertedConfigIsTheSnapshotConfig()
    {
        var package = SharedData.Require(UseLiteFixture.PackagePath);
        using var dir = new TempDir();
        var config = UseLiteConverter.Convert(package, dir.Path);
        Assert.Equal(RealConfig with { Layers = [] }, config with { Layers = [] });
        Assert.Equal(RealConfig.Layers, config.Layers);
    }

    [Fact]
    public void EmbeddingLeavesNoLiveTensors()
    {
        using var model = UseLiteModel.Create(RealConfig with { VocabSize = 8002 });
        model.Embed(["warm up"]);
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        model.Embed(["one sentence", "and another, longer sentence", "x"], batchSize: 2);
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void BadPackagesAreRefusedClearly()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("broken.tgz"), [1, 2, 3, 4]);
        var e = Assert.Throws<CadreException>(() => UseLiteConverter.Convert(dir.File("broken.tgz"), dir.File("out")));
        Assert.Contains("broken.tgz", e.Message);
        Directory.CreateDirectory(dir.File("pkg"));
        File.WriteAllText(dir.File("pkg/model.json"), "{\"weightsManifest\": [{\"paths\": [\"shard\"], \"weights\": [{\"name\": \"w\", \"shape\": [4], \"dtype\": \"float32\"}]}]}");
        File.WriteAllBytes(dir.File("pkg/shard"), new byte[8]);
        File.WriteAllText(dir.File("pkg/vocab.json"), "[]");
        e = Assert.Throws<CadreException>(() => UseLiteConverter.Convert(dir.File("pkg"), dir.File("out2")));
        Assert.Contains("past the end of the shards", e.Message);
    }

    [Fact]
    public void AGraphWithAnotherActivationIsRefused()
    {
        var package = SharedData.Require(UseLiteFixture.PackagePath);
        using var dir = new TempDir();
        var unpacked = Path.Combine(dir.Path, "pkg");
        Directory.CreateDirectory(unpacked);
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(package), System.IO.Compression.CompressionMode.Decompress))
            System.Formats.Tar.TarFile.ExtractToDirectory(gz, unpacked, overwriteFiles: true);
        var model = Path.Combine(unpacked, "package", "dist", "model.json");
        var json = File.ReadAllText(model);
        Assert.Contains("\"Relu\"", json);
        File.WriteAllText(model, ReplaceFirst(json, "\"Relu\"", "\"Elu\"")); // an op value; node names hold "/Relu"
        var e = Assert.Throws<CadreException>(() => UseLiteConverter.Convert(unpacked, Path.Combine(dir.Path, "out")));
        Assert.Contains("op Elu", e.Message);
        Assert.Contains("op Relu appears 1 times, expected 2", e.Message);
    }

    private static string ReplaceFirst(string text, string from, string to)
    {
        var i = text.IndexOf(from, StringComparison.Ordinal);
        return text[..i] + to + text[(i + from.Length)..];
    }
}
