using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Models.UseLite;

/// <summary>
/// One USE-lite transformer layer, as the graph computes it (pre-norm):
/// x ← attention(LN(x)) + residual(x);  x ← x + mask · FFN(LN(x)).
/// The first layer's residual is a dense projection from the embedding width (applied at real tokens only).
/// Dimensions: B batch, T tokens, I input width, W attention width, N heads, D = W / N, H hidden, F feed-forward.
/// </summary>
internal sealed class UseLiteLayer : nn.Module<Tensor, Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006 // field names are checkpoint key names
    private readonly LayerNorm attention_norm;
    private readonly AdaptableLinear? residual;
    private readonly UseLiteAttention attention;
    private readonly LayerNorm ffn_norm;
    private readonly UseLiteFfn ffn;
#pragma warning restore IDE1006

    public UseLiteLayer(string prefix, UseLiteLayerConfig c, int hidden, float eps,
                        Dictionary<string, AdaptableLinear> sites, int index) : base(prefix)
    {
        attention_norm = nn.LayerNorm(c.InputSize, eps);
        if (c.InputSize != hidden)
            residual = Site(sites, $"{prefix}.residual", c.InputSize, hidden);
        attention = new UseLiteAttention($"{prefix}.attention", c, hidden, sites, index);
        ffn_norm = nn.LayerNorm(hidden, eps);
        ffn = new UseLiteFfn($"{prefix}.ffn", hidden, c.FfnSize, sites);
        RegisterComponents();
    }

    internal static AdaptableLinear Site(Dictionary<string, AdaptableLinear> sites, string name, long inFeatures, long outFeatures)
    {
        var site = new AdaptableLinear(name, inFeatures, outFeatures, hasBias: true);
        sites[name] = site;
        return site;
    }

    /// <param name="x">(B, T, I)</param>
    /// <param name="mask">(B, T) float, 1 at real tokens</param>
    public override Tensor forward(Tensor x, Tensor mask, ForwardContext context)
    {
        var keep = mask.unsqueeze(-1);                                            // (B, T, 1)
        var skip = residual is null ? x : residual.forward(x, context) * keep;    // (B, T, H): the graph scatters it at tokens only
        x = attention.forward(attention_norm.forward(x), mask, context) + skip;   // (B, T, H)
        return x + ffn.forward(ffn_norm.forward(x), context) * keep;              // (B, T, H)
    }
}

/// <summary>Multi-head self-attention over real tokens (padding keys get -inf).</summary>
internal sealed class UseLiteAttention : nn.Module<Tensor, Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly AdaptableLinear query, key, value, output;
#pragma warning restore IDE1006
    private readonly int _heads;
    private readonly float _scale;
    private readonly int _index;

    public UseLiteAttention(string prefix, UseLiteLayerConfig c, int hidden, Dictionary<string, AdaptableLinear> sites, int index)
        : base(prefix)
    {
        _index = index;
        query = UseLiteLayer.Site(sites, $"{prefix}.query", c.InputSize, c.AttentionSize);
        key = UseLiteLayer.Site(sites, $"{prefix}.key", c.InputSize, c.AttentionSize);
        value = UseLiteLayer.Site(sites, $"{prefix}.value", c.InputSize, c.AttentionSize);
        output = UseLiteLayer.Site(sites, $"{prefix}.output", c.AttentionSize, hidden);
        _heads = c.Heads;
        _scale = c.AttentionScale;
        RegisterComponents();
    }

    /// <param name="h">(B, T, I), already layer-normed</param>
    /// <param name="mask">(B, T) float</param>
    public override Tensor forward(Tensor h, Tensor mask, ForwardContext context)
    {
        var (b, t) = (h.shape[0], h.shape[1]);
        Tensor Split(Tensor z) => z.view(b, t, _heads, -1).transpose(1, 2); // (B, N, T, D)
        var q = Split(query.forward(h, context)) * _scale;                 // (B, N, T, D)
        var k = Split(key.forward(h, context));                            // (B, N, T, D)
        var v = Split(value.forward(h, context));                          // (B, N, T, D)
        var padding = mask.eq(0).view(b, 1, 1, t);                         // (B, 1, 1, T)
        if (context.Prompt is { } prompts && prompts.Prepend(_index, ref k, ref v) > 0) // deep prompts: (B, N, P + T, D)
            padding = cat([prompts.PrefixPadding(b), padding], -1);        // (B, 1, 1, P + T): a row's own prefix slots are seen
        var logits = q.matmul(k.transpose(-1, -2));                        // (B, N, T, P + T)
        logits = logits.masked_fill(padding, -1e9f);                       // the graph adds -1e9 at padding keys
        var weights = nn.functional.softmax(logits, -1);                   // (B, N, T, P + T)
        var attended = weights.matmul(v).transpose(1, 2).reshape(b, t, -1); // (B, T, W)
        return output.forward(attended, context);                          // (B, T, H)
    }
}

/// <summary>Feed-forward: ReLU between two linears (the graph's conv1/conv2 tensordots).</summary>
internal sealed class UseLiteFfn : nn.Module<Tensor, ForwardContext, Tensor>
{
#pragma warning disable IDE1006
    private readonly AdaptableLinear intermediate, output;
#pragma warning restore IDE1006

    public UseLiteFfn(string prefix, int hidden, int ffn, Dictionary<string, AdaptableLinear> sites)
        : base(prefix)
    {
        intermediate = UseLiteLayer.Site(sites, $"{prefix}.intermediate", hidden, ffn);
        output = UseLiteLayer.Site(sites, $"{prefix}.output", ffn, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, ForwardContext context) =>
        output.forward(nn.functional.relu(intermediate.forward(x, context)), context); // (B, T, F) -> (B, T, H)
}
