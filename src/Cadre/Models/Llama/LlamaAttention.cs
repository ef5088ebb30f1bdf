using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>
/// Causal grouped-query self-attention (Hugging Face <c>LlamaAttention</c>). With G = heads / kv_heads, query head h
/// reads key/value head h / G, as <c>repeat_kv</c> and run.c's <c>h / kv_mul</c> do; instead of copying each
/// key/value head G times, the G query heads of a group are stacked as extra rows of one matmul, which gives the
/// same numbers without the copy. Scores are materialized, (B, H, T, S) floats: fine for the short contexts of
/// small specialists, the first thing to swap for a fused kernel at long ones.
/// </summary>
internal sealed class LlamaAttention : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face key names
    private readonly AdaptableLinear q_proj;
    private readonly AdaptableLinear k_proj;
    private readonly AdaptableLinear v_proj;
    private readonly AdaptableLinear o_proj;
#pragma warning restore IDE1006
    private readonly int _layer;
    private readonly long _heads;
    private readonly long _kvHeads;
    private readonly long _headDim;

    public LlamaAttention(string prefix, int layer, LlamaConfig config) : base(prefix)
    {
        _layer = layer;
        (_heads, _kvHeads, _headDim) = (config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim);
        long hidden = config.HiddenSize;
        var bias = config.AttentionBias;
        q_proj = new AdaptableLinear($"{prefix}.q_proj", hidden, _heads * _headDim, bias);
        k_proj = new AdaptableLinear($"{prefix}.k_proj", hidden, _kvHeads * _headDim, bias);
        v_proj = new AdaptableLinear($"{prefix}.v_proj", hidden, _kvHeads * _headDim, bias);
        o_proj = new AdaptableLinear($"{prefix}.o_proj", _heads * _headDim, hidden, bias);
        RegisterComponents();
    }

    public IEnumerable<AdaptableLinear> Sites => [q_proj, k_proj, v_proj, o_proj];

    /// <summary>x (B, T, C) at positions past .. past + T - 1, where past is what <paramref name="cache"/> holds.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, LlamaKvCache? cache, ForwardContext context)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var groups = _heads / _kvHeads;
        var q = q_proj.forward(x, context).view(b, t, _heads, _headDim).transpose(1, 2);   // (B, H, T, D)
        var k = k_proj.forward(x, context).view(b, t, _kvHeads, _headDim).transpose(1, 2); // (B, KVH, T, D)
        var v = v_proj.forward(x, context).view(b, t, _kvHeads, _headDim).transpose(1, 2); // (B, KVH, T, D)
        q = LlamaRotaryEmbedding.Apply(q, cos, sin);
        k = LlamaRotaryEmbedding.Apply(k, cos, sin);
        var past = cache?.Length ?? 0;
        if (cache is not null)
            (k, v) = cache.Append(_layer, k, v);                                     // (B, KVH, S, D), S = past + T
        var s = k.shape[2];

        // Query head h = kv·G + g sits at group kv, row g·T + i: a free regrouping of (B, H, T, D).
        var grouped = q.reshape(b, _kvHeads, groups * t, _headDim);                  // (B, KVH, G·T, D)
        var scores = grouped.matmul(k.transpose(-2, -1)) / Math.Sqrt(_headDim);      // (B, KVH, G·T, S)
        if (t > 1) // a single new token may see every cached position; longer steps need the causal mask
        {
            var queryPositions = arange(past, past + t, device: x.device).unsqueeze(1); // (T, 1)
            var keyPositions = arange(0, s, device: x.device).unsqueeze(0);             // (1, S)
            var hidden = (keyPositions > queryPositions).repeat(groups, 1);            // (G·T, S)
            scores = scores.masked_fill(hidden, float.NegativeInfinity);
        }
        var weights = scores.to_type(ScalarType.Float32).softmax(-1).to_type(q.dtype); // (B, KVH, G·T, S)
        var attended = weights.matmul(v)                                                // (B, KVH, G·T, D)
            .view(b, _heads, t, _headDim)                                               // (B, H, T, D)
            .transpose(1, 2)                                                            // (B, T, H, D)
            .reshape(b, t, _heads * _headDim);                                          // (B, T, H·D)
        return o_proj.forward(attended, context).MoveToOuterDisposeScope();             // (B, T, C)
    }
}
