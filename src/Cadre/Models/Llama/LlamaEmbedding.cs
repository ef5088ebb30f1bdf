using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Models.Llama;

/// <summary>
/// Token embeddings as a plain frozen (V, C) parameter named <c>weight</c>. TorchSharp's own
/// <c>Embedding_from_pretrained</c> is avoided on purpose: in 0.107 its state dict keeps a randomly initialized
/// tensor apart from the one forward reads, so a checkpoint loaded through the state dict would never be used.
/// </summary>
internal sealed class LlamaEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // the checkpoint key is "weight"
    private readonly Parameter weight;
#pragma warning restore IDE1006

    public LlamaEmbedding(string name, long vocabulary, long size) : base(name)
    {
        weight = new Parameter(zeros(vocabulary, size), requires_grad: false); // (V, C)
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var rows = weight.index_select(0, ids.flatten());                        // (B·T, C)
        return rows.view(ids.shape[0], ids.shape[1], -1).MoveToOuterDisposeScope(); // (B, T, C)
    }
}
