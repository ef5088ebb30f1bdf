using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Bert;

[Collection(TorchCollection.Name)]
public sealed class BertWeightsTests
{
    private static readonly BertConfig Config = BertConfig.Load(Path.Combine(BertGolden.Folder("tiny-bert"), "config.json"));

    [Fact]
    public void KeysUnderABertPrefixBesideAClassifierHeadLoadTheSameModel()
    {
        using var scope = NewDisposeScope();
        var weights = Weights();
        var wrapped = weights.ToDictionary(kv => "bert." + kv.Key, kv => kv.Value);
        wrapped["classifier.weight"] = randn(3, Config.HiddenSize);
        wrapped["classifier.bias"] = zeros(3);
        using var plain = BertModel.FromStateDict(Config, weights);
        using var prefixed = BertModel.FromStateDict(Config, wrapped);
        Assert.Equal(["classifier.bias", "classifier.weight"], prefixed.IgnoredKeys);
        Assert.Empty(plain.IgnoredKeys);

        var ids = tensor(new long[] { 2, 5, 7, 9, 3 }, [1, 5], int64);
        var mask = ones_like(ids);
        using var a = plain.Forward(ids, mask);
        using var b = prefixed.Forward(ids, mask);
        Assert.Equal(0.0, BertGolden.MaxAbsDiff(a.LastHiddenState, b.LastHiddenState));
    }

    [Fact]
    public void AMissingKeyIsAnErrorNamingIt()
    {
        using var scope = NewDisposeScope();
        var weights = Weights();
        weights.Remove("encoder.layer.1.attention.self.value.bias");
        var error = Assert.Throws<CadreException>(() => BertModel.FromStateDict(Config, weights, source: "model.safetensors"));
        Assert.Contains("model.safetensors: does not fit the model", error.Message);
        Assert.Contains("missing key 'encoder.layer.1.attention.self.value.bias'", error.Message);
    }

    [Fact]
    public void AWrongShapeIsAnErrorNamingKeyAndShapes()
    {
        using var scope = NewDisposeScope();
        var weights = Weights();
        weights["encoder.layer.0.intermediate.dense.weight"] = zeros(65, 32);
        var error = Assert.Throws<CadreException>(() => BertModel.FromStateDict(Config, weights));
        Assert.Contains("key 'encoder.layer.0.intermediate.dense.weight': shape [65, 32] in the file, but config.json implies [64, 32]", error.Message);
    }

    [Fact]
    public void KeysOfAnExtraLayerAreUnexpectedAndNoEncoderIsNotABertCheckpoint()
    {
        using var scope = NewDisposeScope();
        var weights = Weights();
        weights["encoder.layer.2.output.dense.bias"] = zeros(32);
        var error = Assert.Throws<CadreException>(() => BertModel.FromStateDict(Config, weights));
        Assert.Contains("unexpected key 'encoder.layer.2.output.dense.bias'", error.Message);
        Assert.Contains("num_hidden_layers", error.Message);

        var none = new Dictionary<string, Tensor> { ["lm_head.weight"] = zeros(2, 2) };
        error = Assert.Throws<CadreException>(() => BertModel.FromStateDict(Config, none, source: "x.safetensors"));
        Assert.StartsWith("x.safetensors: no 'embeddings.word_embeddings.weight' key", error.Message);
    }

    [Fact]
    public void TheBaseIsFrozenAndEveryLinearIsANamedAdapterSite()
    {
        using var scope = NewDisposeScope();
        using var model = BertModel.FromStateDict(Config, Weights());
        Assert.NotEmpty(model.Module.parameters());
        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(model.Module.training);

        var expectedSites = Enumerable.Range(0, Config.NumHiddenLayers).SelectMany(i => new[]
        {
            $"encoder.layer.{i}.attention.self.query", $"encoder.layer.{i}.attention.self.key",
            $"encoder.layer.{i}.attention.self.value", $"encoder.layer.{i}.attention.output.dense",
            $"encoder.layer.{i}.intermediate.dense", $"encoder.layer.{i}.output.dense",
        }).Append("pooler.dense").Order(StringComparer.Ordinal);
        Assert.Equal(expectedSites, model.Sites.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>Checkpoint key names are public API: this snapshot makes a rename a visible decision.</summary>
    [Fact]
    public void StateDictKeysAndShapesAreHuggingFaces()
    {
        using var scope = NewDisposeScope();
        using var model = BertModel.FromStateDict(Config, Weights());
        var actual = model.Module.state_dict().Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]")
            .Where(k => !k.StartsWith("encoder.layer.1.", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        string[] expected =
        [
            "embeddings.LayerNorm.bias [32]", "embeddings.LayerNorm.weight [32]",
            "embeddings.position_embeddings.weight [64, 32]", "embeddings.token_type_embeddings.weight [2, 32]",
            "embeddings.word_embeddings.weight [120, 32]",
            "encoder.layer.0.attention.output.LayerNorm.bias [32]", "encoder.layer.0.attention.output.LayerNorm.weight [32]",
            "encoder.layer.0.attention.output.dense.bias [32]", "encoder.layer.0.attention.output.dense.weight [32, 32]",
            "encoder.layer.0.attention.self.key.bias [32]", "encoder.layer.0.attention.self.key.weight [32, 32]",
            "encoder.layer.0.attention.self.query.bias [32]", "encoder.layer.0.attention.self.query.weight [32, 32]",
            "encoder.layer.0.attention.self.value.bias [32]", "encoder.layer.0.attention.self.value.weight [32, 32]",
            "encoder.layer.0.intermediate.dense.bias [64]", "encoder.layer.0.intermediate.dense.weight [64, 32]",
            "encoder.layer.0.output.LayerNorm.bias [32]", "encoder.layer.0.output.LayerNorm.weight [32]",
            "encoder.layer.0.output.dense.bias [32]", "encoder.layer.0.output.dense.weight [32, 64]",
            "pooler.dense.bias [32]", "pooler.dense.weight [32, 32]",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual);
    }

    [Fact]
    public void WithoutPoolerKeysThereIsNoPoolerOutput()
    {
        using var scope = NewDisposeScope();
        var weights = Weights();
        weights.Remove("pooler.dense.weight");
        weights.Remove("pooler.dense.bias");
        using var model = BertModel.FromStateDict(Config, weights);
        Assert.False(model.HasPooler);
        Assert.DoesNotContain("pooler.dense", model.Sites.Keys);
        using var output = model.Forward(tensor(new long[] { 2, 3 }, [1, 2], int64), ones(1, 2, dtype: int64));
        Assert.Null(output.PoolerOutput);
    }

    [Fact]
    public void InputsOutsideTheTablesAreRejectedClearly()
    {
        using var scope = NewDisposeScope();
        using var model = BertModel.FromStateDict(Config, Weights());
        var tooLong = zeros(1, Config.MaxPositionEmbeddings + 1, dtype: int64);
        Assert.Contains("exceed the model's limit of 64", Assert.Throws<ArgumentException>(() => model.Forward(tooLong, ones_like(tooLong))).Message);
        var badId = tensor(new long[] { 2, 120 }, [1, 2], int64);
        Assert.Contains("[0, 120)", Assert.Throws<ArgumentException>(() => model.Forward(badId, ones_like(badId))).Message);
    }

    private static Dictionary<string, Tensor> Weights() =>
        BertGolden.ReadAll(Path.Combine(BertGolden.Folder("tiny-bert"), "model.safetensors"));
}
