using Cadre.Models;
using Cadre.Models.Llama;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Llama;

[Collection(TorchCollection.Name)]
public sealed class LlamaModelTests
{
    private static readonly long[] Tokens = [1, 17, 5, 63, 22, 9, 40, 3, 11, 57, 30, 2];

    [Theory]
    [InlineData(0, true)]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(1, false)]
    public void Llama2cBinMatchesAScalarTranscriptionOfRunC(int version, bool tied)
    {
        var tiny = new TinyLlamaCheckpoint(seed: 3, tied: tied);
        using var dir = new TempDir();
        tiny.WriteLlama2cBin(dir.File("tiny.bin"), version);
        using var model = LlamaModel.Load(dir.File("tiny.bin"));
        Assert.Equal(tiny.Config with { EosTokenIds = model.Config.EosTokenIds }, model.Config);
        Assert.Null(model.Tokenizer);

        using var scope = NewDisposeScope();
        var logits = model.Forward(tensor(Tokens, [1, Tokens.Length]))[0]; // (T, V)
        var expected = Llama2cReference.Logits(tiny, Tokens.Select(t => (int)t).ToArray());
        var difference = (logits - tensor(expected.SelectMany(r => r).ToArray(), logits.shape)).abs().max().item<float>();
        Assert.True(difference < 1e-4f, $"largest logit difference {difference}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void HuggingFaceFilesEqualTheLlama2cBinAfterThePermutation(int shards)
    {
        var tiny = new TinyLlamaCheckpoint(seed: 5, tied: false);
        using var dir = new TempDir();
        tiny.WriteLlama2cBin(dir.File("tiny.bin"), version: 0);
        Directory.CreateDirectory(dir.File("hf"));
        tiny.WriteHuggingFace(dir.File("hf"), shards);
        using var fromBin = LlamaModel.Load(dir.File("tiny.bin"));
        using var fromHf = LlamaModel.Load(dir.File("hf"));
        Assert.Contains(shards == 1 ? "model.safetensors" : "model.safetensors.index.json", fromHf.Source);
        Assert.Equal(fromBin.Config with { EosTokenIds = [] }, fromHf.Config with { EosTokenIds = [] });
        var hf = fromHf.Module.state_dict();
        foreach (var (name, tensor) in fromBin.Module.state_dict())
            Assert.True(tensor.allclose(hf[name], rtol: 0, atol: 0), $"{name} differs");

        using var scope = NewDisposeScope();
        var ids = tensor(Tokens, [1, Tokens.Length]);
        Assert.True(fromBin.Forward(ids).allclose(fromHf.Forward(ids), rtol: 0, atol: 0));
    }

    [Fact]
    public void KvCacheDecodingEqualsFullRecompute()
    {
        using var model = new TinyLlamaCheckpoint(seed: 9, tied: false).LoadHuggingFaceLayout();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = stack([tensor(Tokens), tensor(Tokens.Reverse().ToArray())]);    // (2, T)
        var full = model.Forward(ids);                                             // (2, T, V)

        using var cache = model.CreateCache(batchSize: 2, capacity: Tokens.Length);
        // A prefill of 5, a chunk of 3 that must mask its own future while seeing the past, then single tokens.
        var pieces = new List<Tensor> { model.Forward(ids[.., ..5], cache), model.Forward(ids[.., 5..8], cache) };
        for (var t = 8; t < Tokens.Length; t++)
            pieces.Add(model.Forward(ids[.., t..(t + 1)], cache));
        var cached = cat(pieces, dim: 1);                                          // (2, T, V)

        Assert.Equal(Tokens.Length, cache.Length);
        Assert.True(model.Forward(ids, lastPositionOnly: true).allclose(full[.., ^1..], rtol: 0, atol: 1e-5)); // (2, 1, V)
        var difference = (full - cached).abs().max().item<float>();
        Assert.True(difference < 1e-5f, $"largest logit difference {difference}");
        var e = Assert.Throws<CadreException>(() => model.Forward(ids[.., ..1], cache));
        Assert.Contains("do not fit", e.Message);
    }

    [Fact]
    public void GroupedQueryAttentionEqualsRepeatedKeyValueHeads()
    {
        var gqa = new TinyLlamaCheckpoint(seed: 7, kvHeads: 2); // 4 query heads, 2 per key/value head
        var mha = gqa.Config with { NumKeyValueHeads = 4 };
        using var grouped = gqa.LoadHuggingFaceLayout();
        using var repeated = LlamaModel.Empty(mha);
        var target = new CheckpointTarget(repeated.Module, "repeated", _ => false);
        var d = gqa.Config.HeadDim;
        foreach (var (name, w) in gqa.HuggingFaceWeights())
        {
            // Key/value head j serves query heads 2j and 2j + 1: copy its rows once for each.
            var isKv = name.EndsWith("k_proj.weight", StringComparison.Ordinal) || name.EndsWith("v_proj.weight", StringComparison.Ordinal);
            target.Copy(name, isKv ? w.view(2, d, -1).repeat_interleave(2, dim: 0).reshape(4 * d, -1) : w); // (H·D, C)
        }
        target.Complete();

        using var scope = NewDisposeScope();
        var ids = tensor(Tokens, [1, Tokens.Length]);
        var difference = (grouped.Forward(ids) - repeated.Forward(ids)).abs().max().item<float>();
        Assert.True(difference < 1e-5f, $"largest logit difference {difference}");
    }

    [Fact]
    public void EveryLinearIsAFrozenAdapterSiteNamedAsInHuggingFace()
    {
        var tiny = new TinyLlamaCheckpoint(tied: false);
        using var model = tiny.LoadHuggingFaceLayout();
        var expected = TinyLlamaCheckpoint.Shapes(tiny.Config).Select(s => s.Name).Order().ToArray();
        Assert.Equal(expected, model.Module.state_dict().Keys.Order().ToArray());
        string[] linear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
        var sites = expected.Where(n => linear.Any(l => n.Contains(l, StringComparison.Ordinal)) || n.StartsWith("lm_head", StringComparison.Ordinal))
            .Select(n => n[..^".weight".Length]).Order();
        Assert.Equal(sites, model.Sites.Keys.Order());
        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));

        using var tied = new TinyLlamaCheckpoint(tied: true).LoadHuggingFaceLayout();
        Assert.DoesNotContain("lm_head", tied.Sites.Keys);
        Assert.DoesNotContain("lm_head.weight", tied.Module.state_dict().Keys);
    }
}
