using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Models.Bert;

/// <summary>
/// The TorchSharp module tree of a BERT encoder, named exactly as Hugging Face's <c>BertModel</c> state dict:
/// <c>embeddings.*</c>, <c>encoder.layer.{i}.*</c> and, when the checkpoint has one, <c>pooler.dense.*</c>.
/// </summary>
internal sealed class BertNetwork : nn.Module<Tensor, Tensor, Tensor, ForwardContext, Tensor>
{
    // Field names are the checkpoint's key segments; TorchSharp registers sub-modules by field name.
#pragma warning disable IDE1006
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;
#pragma warning restore IDE1006

    public BertNetwork(BertConfig config, bool withPooler) : base("bert")
    {
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = withPooler ? new BertPooler(config) : null;
        RegisterComponents();
    }

    public bool HasPooler => pooler is not null;

    public Tensor TokenEmbeddings => embeddings.WordTable; // (V, H)

    /// <summary>
    /// (B, T) ids, (B, T) 0/1 mask and (B, T) token types to the last hidden state (B, T, H); the context's prompts
    /// go before the text, its per-row tensors reach every site.
    /// </summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        // get_extended_attention_mask: (B, T) -> (B, 1, 1, T), 0 where attended and float.MinValue on padding.
        var prompts = context.Prompt;
        var prompt = prompts?.VectorsFor(inputIds.shape[0]);                   // (B, P, H) or null
        var p = prompt?.shape[1] ?? 0;
        if (prompt is not null) // a row's own soft prompt slots are attended to (left padding of shorter per-row prompts is not)
            attentionMask = cat([prompts!.VectorMask?.to(attentionMask.dtype) ?? ones(inputIds.shape[0], p, dtype: attentionMask.dtype, device: attentionMask.device), attentionMask], 1);
        var additive = (1.0f - attentionMask.to(float32)).unsqueeze(1).unsqueeze(2) * float.MinValue;
        var perRow = prompts?.PerRow == true;
        var hidden = embeddings.Forward(inputIds, tokenTypeIds, prompt, prompts?.PrefixLength ?? 0, // (B, P + T, H)
                                        perRow ? prompts!.VectorMask : null, perRow ? prompts!.PrefixLengths(inputIds.shape[0]) : null);
        hidden = encoder.call(hidden, additive, context);                                 // (B, P + T, H)
        // The prompt's positions are dropped, so pooling (CLS or mean) sees the text's tokens only.
        return (p == 0 ? hidden : hidden.narrow(1, p, inputIds.shape[1])).MoveToOuterDisposeScope(); // (B, T, H)
    }

    /// <summary>BertPooler: tanh(dense(first token)), (B, T, H) to (B, H); null without a pooler.</summary>
    public Tensor? Pool(Tensor lastHidden, ForwardContext context) => pooler?.call(lastHidden, context);
}

/// <summary><c>encoder</c>: the stack <c>layer.0</c> ... <c>layer.{n-1}</c>.</summary>
internal sealed class BertEncoder : nn.Module<Tensor, Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<BertLayer> layer;
#pragma warning restore IDE1006

    public BertEncoder(BertConfig config) : base("encoder")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new BertLayer(config, i)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        foreach (var block in layer)
            hidden = block.call(hidden, additiveMask, context); // (B, T, H)
        return hidden.MoveToOuterDisposeScope();
    }
}

/// <summary><c>pooler</c>: Hugging Face's <c>pooler_output</c>, what BertForSequenceClassification classifies.</summary>
internal sealed class BertPooler : nn.Module<Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly AdaptableLinear dense;
#pragma warning restore IDE1006

    public BertPooler(BertConfig config) : base("pooler")
    {
        dense = new AdaptableLinear("dense", config.HiddenSize, config.HiddenSize, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor lastHidden, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var first = lastHidden.select(1, 0);                                   // (B, H)
        return dense.call(first, context).tanh().MoveToOuterDisposeScope();   // (B, H)
    }
}
