using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>
/// The module tree of Hugging Face's <c>LlamaForCausalLM</c>, field for field, so <c>state_dict()</c> keys are the
/// checkpoint's: <c>model.embed_tokens.weight</c>, <c>model.layers.{i}...</c>, <c>model.norm.weight</c> and, when
/// embeddings are not tied, <c>lm_head.weight</c>. Every parameter is frozen; adapters attach to the sites.
/// </summary>
internal sealed class LlamaForCausalLM : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face key names
    private readonly LlamaDecoder model;
    private readonly AdaptableLinear? lm_head;
#pragma warning restore IDE1006

    public LlamaForCausalLM(LlamaConfig config) : base("LlamaForCausalLM")
    {
        Config = config;
        model = new LlamaDecoder(config);
        lm_head = config.TieWordEmbeddings ? null : new AdaptableLinear("lm_head", config.HiddenSize, config.VocabSize, false);
        RegisterComponents();
    }

    public LlamaConfig Config { get; }

    /// <summary>Every linear site by its checkpoint name without <c>.weight</c>, in checkpoint order.</summary>
    public IEnumerable<AdaptableLinear> Sites => lm_head is null ? model.Sites : model.Sites.Append(lm_head);

    /// <summary>
    /// Logits (B, T, V) for ids (B, T), continuing what <paramref name="cache"/> holds when given; every site reads
    /// its per-row tensors from <paramref name="context"/> (the rows stay the cache's rows from step to step).
    /// </summary>
    public Tensor Forward(Tensor inputIds, LlamaKvCache? cache, ForwardContext context, bool lastPositionOnly = false)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Forward(inputIds, cache, context);                                     // (B, T, C)
        if (lastPositionOnly)
            hidden = hidden[.., ^1..];                                                            // (B, 1, C)
        var logits = lm_head is null
            ? nn.functional.linear(hidden, model.EmbeddingWeight)                                 // (B, T, C) @ (C, V)
            : lm_head.forward(hidden, context);                                                   // (B, T, V)
        return logits.MoveToOuterDisposeScope();
    }
}

/// <summary>Hugging Face's <c>LlamaModel</c>: embeddings, the decoder layers and the final norm.</summary>
internal sealed class LlamaDecoder : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face key names
    private readonly LlamaEmbedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly LlamaRmsNorm norm;
#pragma warning restore IDE1006
    private readonly LlamaRotaryEmbedding _rotary;

    public LlamaDecoder(LlamaConfig config) : base("model")
    {
        embed_tokens = new LlamaEmbedding("model.embed_tokens", config.VocabSize, config.HiddenSize);
        layers = new ModuleList<LlamaDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(i, config)).ToArray());
        norm = new LlamaRmsNorm("model.norm", config.HiddenSize, config.RmsNormEps);
        _rotary = new LlamaRotaryEmbedding(config);
        RegisterComponents();
    }

    public Tensor EmbeddingWeight => embed_tokens.Weight;

    public IEnumerable<AdaptableLinear> Sites => layers.SelectMany(l => l.Sites);

    public Tensor Forward(Tensor inputIds, LlamaKvCache? cache, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (inputIds.shape[0], inputIds.shape[1]);
        cache?.EnsureRoom(b, t);
        var (cos, sin) = _rotary.Tables(cache?.Length ?? 0, t, inputIds.device);  // (T, D) each
        var x = embed_tokens.forward(inputIds);                                    // (B, T, C)
        foreach (var layer in layers)
            x = layer.Forward(x, cos, sin, cache, context);
        cache?.Advance(t);
        return norm.forward(x).MoveToOuterDisposeScope();                          // (B, T, C)
    }
}
