using System.Text.Json.Nodes;
using Cadre.Models;
using Cadre.Models.Llama;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Models.Llama;

[Collection(TorchCollection.Name)]
public sealed class LlamaLoadingTests
{
    [Theory]
    [InlineData("pytorch_model.bin", new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0 })]   // torch.save zip
    [InlineData("weights.bin", new byte[] { 0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC })]       // legacy raw pickle
    [InlineData("consolidated.00.pth", new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0 })]
    [InlineData("model.pt", new byte[] { 1, 2, 3, 4 })]                                   // refused by name alone
    [InlineData("last.ckpt", new byte[] { 1, 2, 3, 4 })]
    public void PickleCheckpointsAreRefusedWithTheConversionCommand(string name, byte[] content)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(name), content);
        foreach (var path in new[] { dir.File(name), dir.Path })
        {
            var e = Assert.Throws<CadreException>(() => LlamaModel.Load(path));
            Assert.Contains(name, e.Message);
            Assert.Contains("never unpickles", e.Message);
            Assert.Contains("safetensors.torch import save_file", e.Message);
            Assert.Contains("save_pretrained", e.Message);
        }
    }

    [Fact]
    public void Llama2cHeadersWithPickleLikeFirstBytesAreNotPickles()
    {
        // dim 896 = bytes 80 03 00 00: a PROTO opcode is never followed by 0x00.
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("llama.bin"), [0x80, 0x03, 0x00, 0x00, 1, 0, 0, 0]);
        Assert.False(PickleCheckpoints.IsPickle(dir.File("llama.bin")));
    }

    [Fact]
    public void BrokenLlama2cFilesNameTheProblem()
    {
        var tiny = new TinyLlamaCheckpoint();
        using var dir = new TempDir();
        var path = dir.File("tiny.bin");
        tiny.WriteLlama2cBin(path, version: 0);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        var e = Assert.Throws<CadreException>(() => LlamaModel.Load(path));
        Assert.Contains("tiny.bin", e.Message);
        Assert.Contains($"has {bytes.Length} bytes, the file has {bytes.Length - 4}", e.Message);

        tiny.WriteLlama2cBin(path, version: 1);
        var quantized = File.ReadAllBytes(path);
        quantized[4] = 2; // version 2: int8
        File.WriteAllBytes(path, quantized);
        e = Assert.Throws<CadreException>(() => LlamaModel.Load(path));
        Assert.Contains("version 2 (int8 Q8_0) is not supported", e.Message);

        e = Assert.Throws<CadreException>(() => LlamaModel.Load(dir.File("absent")));
        Assert.Contains("no such file", e.Message);
        File.Delete(path);
        e = Assert.Throws<CadreException>(() => LlamaModel.Load(dir.Path));
        Assert.Contains("no Llama weights found", e.Message);
    }

    [Fact]
    public void ConfigRoundTripsThroughJsonAndKeepsHuggingFaceDefaults()
    {
        using var dir = new TempDir();
        var config = new TinyLlamaCheckpoint(kvHeads: 2, tied: false).Config with
        {
            EosTokenIds = [2, 5],
            RopeScaling = new LlamaRopeScaling("llama3", 8, 1, 4, 16),
        };
        LlamaConfigJson.Write(config, dir.File("config.json"));
        Assert.Equal(config with { EosTokenIds = [] }, LlamaConfigJson.Read(dir.File("config.json")) with { EosTokenIds = [] });
        Assert.Equal([2, 5], LlamaConfigJson.Read(dir.File("config.json")).EosTokenIds);

        var minimal = LlamaConfigJson.Parse(new JsonObject { ["hidden_size"] = 64, ["num_attention_heads"] = 8 }, "minimal");
        Assert.Equal(8, minimal.NumKeyValueHeads); // absent: one key/value head per query head
        Assert.Equal(8, minimal.HeadDim);
        Assert.Equal(1e-6, minimal.RmsNormEps);
        Assert.False(minimal.TieWordEmbeddings);
    }

    [Fact]
    public void InvalidConfigReportsEveryProblemAtOnce()
    {
        var json = new JsonObject
        {
            ["model_type"] = "llama",
            ["hidden_size"] = "wide",
            ["num_attention_heads"] = 6,
            ["num_key_value_heads"] = 4,
            ["rms_norm_eps"] = -1,
            ["hidden_act"] = "gelu",
            ["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4 },
        };
        var e = Assert.Throws<CadreException>(() => LlamaConfigJson.Parse(json, "config.json"));
        foreach (var field in new[] { "config.json", "hidden_size must be an integer", "num_key_value_heads", "rms_norm_eps", "hidden_act", "yarn" })
            Assert.Contains(field, e.Message);
        Assert.Contains("not 'llama'", Assert.Throws<CadreException>(() => LlamaConfigJson.Parse(new JsonObject { ["model_type"] = "bert" }, "c")).Message);
    }
}
