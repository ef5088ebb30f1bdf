using Cadre.Models;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Llama;

/// <summary>
/// The decoder takes a pass's <see cref="ForwardContext"/> as the encoders do: per-row LoRA tensors change only
/// their own rows, equal the same update folded into the weights, and hold at every step of a cached decode.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LlamaContextTests
{
    private static readonly long[] Tokens = [1, 17, 5, 63, 22, 9, 40, 3, 11, 57];
    private static readonly string[] Adapted = ["model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"];

    [Fact]
    public void PerRowSiteTensorsAdaptTheirRowsAtEveryCachedStep()
    {
        using var model = new TinyLlamaCheckpoint(seed: 9, tied: false).LoadHuggingFaceLayout();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(4);
        var ids = stack([tensor(Tokens), tensor(Tokens.Reverse().ToArray())]);           // (2, T)
        var sites = new Dictionary<AdaptableLinear, SiteRows>(ReferenceEqualityComparer.Instance);
        var updates = new Dictionary<string, Tensor>();
        foreach (var name in Adapted)
        {
            var site = model.Sites[name];
            var a = normal(0, 0.3, [2, site.InFeatures], generator: generator);            // (r, in)
            var b = normal(0, 0.3, [site.OutFeatures, 2], generator: generator);           // (out, r)
            sites[site] = new SiteRows(stack([a, zeros_like(a)]), stack([b, zeros_like(b)]), null, null); // row 0 only
            updates[name] = b.matmul(a);                                                   // (out, r) @ (r, in) -> (out, in)
        }
        var context = new ForwardContext { Sites = sites };
        var bare = model.Forward(ids);                                                     // (2, T, V)
        var adapted = model.Forward(ids, context: context);                                // (2, T, V)

        using var cache = model.CreateCache(batchSize: 2, capacity: Tokens.Length);
        var pieces = new List<Tensor> { model.Forward(ids[.., ..4], cache, context: context) };
        for (var t = 4; t < Tokens.Length; t++)
            pieces.Add(model.Forward(ids[.., t..(t + 1)], cache, context: context));
        Assert.True((cat(pieces, dim: 1) - adapted).abs().max().item<float>() < 1e-5f);  // (2, T, V)

        Assert.True((adapted[1] - bare[1]).abs().max().item<float>() < 1e-6f);            // the row without an adapter
        Assert.True((adapted[0] - bare[0]).abs().max().item<float>() > 1e-2f, "the adapter must matter");
        foreach (var (name, update) in updates)
            model.Sites[name].Weight.add_(update);                                         // W + B A, every row
        var folded = model.Forward(ids[..1]);                                              // (1, T, V)
        Assert.True((folded[0] - adapted[0]).abs().max().item<float>() < 1e-4f);

        var prompted = new ForwardContext { Prompt = new PromptBatch([]) { Vectors = zeros(1, 8) } };
        Assert.Throws<ArgumentException>(() => model.Forward(ids, context: prompted));
    }
}
