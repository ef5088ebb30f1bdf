using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Models.Bert;

// Dimensions: B batch, T tokens, H hidden, h heads, d = H / h per head, I intermediate.

/// <summary><c>encoder.layer.{i}</c>: self-attention block, then feed-forward block, each with residual + LayerNorm.</summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint's key segments (registered by reflection)
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertLayerOutput output;
#pragma warning restore IDE1006

    public BertLayer(BertConfig config, int index) : base("layer")
    {
        attention = new BertAttention(config, index);
        intermediate = new BertIntermediate(config);
        output = new BertLayerOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    /// <summary>(B, T, H) hidden states and a (B, 1, 1, T) additive mask to (B, T, H).</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, additiveMask, context);              // (B, T, H)
        return output.call(intermediate.call(attended, context), attended, context).MoveToOuterDisposeScope();
    }
}

/// <summary><c>attention</c>: <c>self</c> (query, key, value) and <c>output</c> (dense, LayerNorm).</summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly BertSelfAttention @self;
    private readonly BertLayerOutput output;
#pragma warning restore IDE1006

    public BertAttention(BertConfig config, int index) : base("attention")
    {
        @self = new BertSelfAttention(config, index);
        output = new BertLayerOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        return output.call(@self.call(hidden, additiveMask, context), hidden, context).MoveToOuterDisposeScope();
    }
}

/// <summary>Multi-head scaled dot-product attention, written out as Hugging Face's eager path computes it.</summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly AdaptableLinear query;
    private readonly AdaptableLinear key;
    private readonly AdaptableLinear value;
    private readonly Dropout dropout;
#pragma warning restore IDE1006
    private readonly int _heads;
    private readonly int _headDim;
    private readonly int _index;

    public BertSelfAttention(BertConfig config, int index) : base("self")
    {
        _index = index;
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDimension;
        query = new AdaptableLinear("query", config.HiddenSize, config.HiddenSize, hasBias: true);
        key = new AdaptableLinear("key", config.HiddenSize, config.HiddenSize, hasBias: true);
        value = new AdaptableLinear("value", config.HiddenSize, config.HiddenSize, hasBias: true);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Tensor x) => x.view(batch, length, _heads, _headDim).transpose(1, 2); // (B, h, T, d)
        var q = Heads(query.call(hidden, context));
        var k = Heads(key.call(hidden, context));
        var v = Heads(value.call(hidden, context));
        if (context.Prompt is { } prompts && prompts.Prepend(_index, ref k, ref v) > 0)   // deep prompts: (B, h, P + T, d)
        {
            // A row's own prefix slots add 0; left padding of shorter per-row prefixes gets the most negative float.
            var prefix = prompts.PrefixPadding(batch).to(additiveMask.dtype) * float.MinValue; // (B, 1, 1, P)
            additiveMask = cat([prefix, additiveMask], -1);                                    // (B, 1, 1, P + T)
        }
        // (B, h, T, d) @ (B, h, d, P + T) -> (B, h, T, P + T); padded keys get the most negative float, so weight 0.
        var scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(_headDim) + additiveMask;
        var probs = dropout.call(scores.softmax(-1));
        var attended = probs.matmul(v);                                                     // (B, h, T, d)
        return attended.transpose(1, 2).reshape(batch, length, _heads * _headDim)            // (B, T, H)
            .MoveToOuterDisposeScope();
    }
}

/// <summary><c>intermediate</c>: dense H -> I and the configured activation.</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly AdaptableLinear dense;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> _activation;

    public BertIntermediate(BertConfig config) : base("intermediate")
    {
        dense = new AdaptableLinear("dense", config.HiddenSize, config.IntermediateSize, hasBias: true);
        _activation = Activation(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        return _activation(dense.call(hidden, context)).MoveToOuterDisposeScope();         // (B, T, I)
    }

    private static Func<Tensor, Tensor> Activation(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        // gelu_new, gelu_fast and gelu_pytorch_tanh are all 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))).
        "gelu_new" or "gelu_fast" or "gelu_pytorch_tanh" => x => nn.functional.gelu(x, GELU.Approximate.tanh),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        _ => throw new CadreException($"config.json: hidden_act: '{CadreException.Shown(name)}' is not supported"),
    };
}

/// <summary>
/// <c>output</c> (of a layer, and of its attention): dense back to H, dropout, then LayerNorm of the residual sum.
/// </summary>
internal sealed class BertLayerOutput : nn.Module<Tensor, Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly AdaptableLinear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
#pragma warning restore IDE1006

    public BertLayerOutput(int inFeatures, BertConfig config) : base("output")
    {
        dense = new AdaptableLinear("dense", inFeatures, config.HiddenSize, hasBias: true);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>(B, T, in) block output and (B, T, H) block input to (B, T, H).</summary>
    public override Tensor forward(Tensor hidden, Tensor residual, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(dropout.call(dense.call(hidden, context)) + residual).MoveToOuterDisposeScope();
    }
}
