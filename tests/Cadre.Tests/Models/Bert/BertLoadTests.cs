using Cadre.Models.Bert;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Bert;

/// <summary>Folders that the tests write themselves, through Cadre's own SafetensorsWriter.</summary>
[Collection(TorchCollection.Name)]
public sealed class BertLoadTests
{
    private static readonly string Golden = BertGolden.Folder("tiny-bert");

    [Fact]
    public void ACheckpointWrittenBySafetensorsWriterLoadsBackToTheSameModel()
    {
        using var scope = NewDisposeScope();
        var weights = BertGolden.ReadAll(Path.Combine(Golden, "model.safetensors"));
        using var dir = new TempDir();
        CopyTextFiles(dir.Path);
        // As BertForSequenceClassification saves it: the base under "bert.", a head beside it.
        var classifier = weights.ToDictionary(kv => "bert." + kv.Key, kv => kv.Value);
        classifier["classifier.weight"] = randn(2, 32);
        classifier["classifier.bias"] = zeros(2);
        SafetensorsWriter.Write(dir.File("model.safetensors"), classifier, new Dictionary<string, string> { ["format"] = "pt" });

        using var loaded = BertModel.Load(dir.Path);
        using var reference = BertModel.FromStateDict(loaded.Config, weights, loaded.Tokenizer, loaded.Pooling);
        Assert.Equal(["classifier.bias", "classifier.weight"], loaded.IgnoredKeys);
        foreach (var (name, tensor) in reference.Module.state_dict())
            Assert.Equal(0.0, BertGolden.MaxAbsDiff(tensor, loaded.Module.state_dict()[name]));
        Assert.Equal(reference.Embed(["the cat sat"]), loaded.Embed(["the cat sat"]));
    }

    [Fact]
    public void HalfPrecisionShardsAreReadAndWidenedToFloat32()
    {
        using var scope = NewDisposeScope();
        var weights = BertGolden.ReadAll(Path.Combine(Golden, "model.safetensors"));
        var half = weights.ToDictionary(kv => kv.Key, kv => kv.Value.to(float16));
        using var dir = new TempDir();
        CopyTextFiles(dir.Path);
        var keys = half.Keys.Order(StringComparer.Ordinal).ToArray();
        var first = keys.Take(keys.Length / 2).ToHashSet();
        SafetensorsWriter.Write(dir.File("model-00001-of-00002.safetensors"), half.Where(kv => first.Contains(kv.Key)));
        SafetensorsWriter.Write(dir.File("model-00002-of-00002.safetensors"), half.Where(kv => !first.Contains(kv.Key)));
        var map = string.Join(", ", keys.Select(k => $"\"{k}\": \"model-0000{(first.Contains(k) ? 1 : 2)}-of-00002.safetensors\""));
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"metadata\": {}, \"weight_map\": {" + map + "}}");

        using var loaded = BertModel.Load(dir.Path);
        var widened = half.ToDictionary(kv => kv.Key, kv => kv.Value.to(float32));
        using var reference = BertModel.FromStateDict(loaded.Config, widened);
        foreach (var (name, tensor) in reference.Module.state_dict())
        {
            Assert.Equal(ScalarType.Float32, loaded.Module.state_dict()[name].dtype);
            Assert.Equal(0.0, BertGolden.MaxAbsDiff(tensor, loaded.Module.state_dict()[name]));
        }
    }

    [Fact]
    public void AFolderWithOnlyAPickleIsRefusedBeforeAnythingIsRead()
    {
        using var dir = new TempDir();
        CopyTextFiles(dir.Path);
        File.WriteAllBytes(dir.File("pytorch_model.bin"), [0x80, 0x04, 0x95]);
        var error = Assert.Throws<CadreException>(() => BertModel.Load(dir.Path));
        Assert.Contains("pytorch_model.bin is a pickled PyTorch checkpoint", error.Message);
    }

    [Fact]
    public void ATokenizerLargerThanTheEmbeddingTableIsRejected()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        CopyTextFiles(dir.Path);
        File.AppendAllLines(dir.File("vocab.txt"), ["extra"]);
        File.Copy(Path.Combine(Golden, "model.safetensors"), dir.File("model.safetensors"));
        var error = Assert.Throws<CadreException>(() => BertModel.Load(dir.Path));
        Assert.Equal("the tokenizer has 121 tokens but config.json's vocab_size is 120: they do not belong to the same model", error.Message);
    }

    private static void CopyTextFiles(string target)
    {
        foreach (var name in new[] { "config.json", "vocab.txt", "tokenizer_config.json" })
            File.Copy(Path.Combine(Golden, name), Path.Combine(target, name));
    }
}
