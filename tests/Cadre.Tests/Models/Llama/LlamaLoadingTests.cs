using System.Text.Json.Nodes;
using Cadre.Models;
using Cadre.Models.Llama;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

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
    public void HalfPrecisionSafetensorsAreWidenedToFloat32()
    {
        var tiny = new TinyLlamaCheckpoint(seed: 6);
        using var dir = new TempDir();
        tiny.WriteHuggingFace(dir.Path, dtype: ScalarType.BFloat16);
        using var model = LlamaModel.Load(dir.File("model.safetensors"));
        var loaded = model.Module.state_dict();
        foreach (var (name, w) in tiny.HuggingFaceWeights())
        {
            Assert.Equal(ScalarType.Float32, loaded[name].dtype);
            Assert.True(loaded[name].allclose(w.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32), rtol: 0, atol: 0), name);
        }
    }

    [Fact]
    public void HuggingFaceFilesThatDoNotFitTheConfigListEveryProblem()
    {
        var tiny = new TinyLlamaCheckpoint(tied: true);
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        // Ignored as transformers does: a tied copy of the embeddings and stored RoPE frequencies.
        var harmless = new Dictionary<string, Tensor>
        {
            ["lm_head.weight"] = zeros(64, 16),
            ["model.layers.0.self_attn.rotary_emb.inv_freq"] = zeros(2),
        };
        tiny.WriteHuggingFace(dir.Path, extra: harmless);
        using (LlamaModel.Load(dir.Path)) { }

        var wrong = new Dictionary<string, Tensor> { ["model.layers.9.mlp.extra.weight"] = zeros(2) };
        tiny.WriteHuggingFace(dir.Path, extra: wrong);
        var config = LlamaConfigJson.Read(dir.File("config.json"));
        LlamaConfigJson.Write(config with { IntermediateSize = 20 }, dir.File("config.json"));
        var e = Assert.Throws<CadreException>(() => LlamaModel.Load(dir.Path));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("unexpected tensor 'model.layers.9.mlp.extra.weight'", e.Message);
        Assert.Contains("'model.layers.0.mlp.gate_proj.weight' has shape [24, 16]; the config needs [20, 16]", e.Message);

        File.WriteAllText(dir.File("model.safetensors.index.json"), """{"weight_map": {"model.norm.weight": "../elsewhere.safetensors"}}""");
        e = Assert.Throws<CadreException>(() => LlamaModel.Load(dir.Path));
        Assert.Contains("must name a .safetensors file beside the index", e.Message);
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
