using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Models.Bert;

public sealed class BertFolderTests
{
    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("model.pt")]
    [InlineData("checkpoint.ckpt")]
    public void PickledCheckpointsAreRefusedWithTheConversionCommand(string file)
    {
        using var dir = new TempDir();
        // Bytes of a pickle that would run code if unpickled: it must never be opened.
        File.WriteAllBytes(dir.File(file), "\x80\x04cposix\nsystem\n(S'echo owned'\ntR."u8.ToArray());
        var error = Assert.Throws<CadreException>(() => BertFolder.WeightFiles(dir.Path));
        Assert.StartsWith($"{dir.File(file)} is a pickled PyTorch checkpoint. Cadre never unpickles files", error.Message);
        Assert.Contains("save_pretrained", error.Message);
        Assert.Contains("safetensors.torch import save_file", error.Message);
    }

    [Fact]
    public void SafetensorsWinsOverAPickleAndShardsComeFromTheIndex()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pytorch_model.bin"), "pickle");
        File.WriteAllText(dir.File("model.safetensors"), "");
        Assert.Equal([dir.File("model.safetensors")], BertFolder.WeightFiles(dir.Path));

        File.Delete(dir.File("model.safetensors"));
        File.WriteAllText(dir.File("model.safetensors.index.json"),
            """{"metadata": {}, "weight_map": {"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors"}}""");
        var error = Assert.Throws<CadreException>(() => BertFolder.WeightFiles(dir.Path));
        Assert.Contains("shard model-00001-of-00002.safetensors is missing", error.Message);
        File.WriteAllText(dir.File("model-00001-of-00002.safetensors"), "");
        File.WriteAllText(dir.File("model-00002-of-00002.safetensors"), "");
        Assert.Equal([dir.File("model-00001-of-00002.safetensors"), dir.File("model-00002-of-00002.safetensors")],
            BertFolder.WeightFiles(dir.Path));
    }

    [Fact]
    public void OtherFormatsAndEmptyFoldersSaySoAndModulesJsonLocatesTheTransformer()
    {
        using var dir = new TempDir();
        Assert.Contains("no model.safetensors", Assert.Throws<CadreException>(() => BertFolder.WeightFiles(dir.Path)).Message);
        File.WriteAllText(dir.File("tf_model.h5"), "");
        Assert.Contains("reads weights only from safetensors", Assert.Throws<CadreException>(() => BertFolder.WeightFiles(dir.Path)).Message);

        Assert.Equal(dir.Path, BertFolder.TransformerFolder(dir.Path));
        File.WriteAllText(dir.File("modules.json"),
            """[{"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"}]""");
        Assert.Equal(Path.Combine(dir.Path, "0_Transformer"), BertFolder.TransformerFolder(dir.Path));
    }
}
