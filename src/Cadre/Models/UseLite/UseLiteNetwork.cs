using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Models.UseLite;

/// <summary>
/// The USE-lite encoder graph re-implemented: token embeddings plus a sin/cos timing signal, transformer layers,
/// a masked mean over tokens, a tanh layer and L2 normalization.
/// Dimensions: B batch, T tokens, E embedding width, H hidden width, C timing channels (= E).
/// </summary>
internal sealed class UseLiteNetwork : nn.Module<Tensor, Tensor, ForwardContext, UseLiteOutput>
{
#pragma warning disable IDE1006 // field names are checkpoint key names
    private readonly TokenTable embeddings;
    private readonly TimingSignal timing;
    private readonly ModuleList<UseLiteLayer> layers;
    private readonly PoolerModule pooler;
#pragma warning restore IDE1006
    private readonly UseLiteConfig _config;

    public UseLiteNetwork(UseLiteConfig config, Dictionary<string, AdaptableLinear> sites)
        : base("use_lite")
    {
        _config = config;
        embeddings = new TokenTable(config.VocabSize, config.EmbeddingSize);
        timing = new TimingSignal(config.TimingChannels / 2);
        layers = new ModuleList<UseLiteLayer>();
        for (var i = 0; i < config.Layers.Count; i++)
            layers.Add(new UseLiteLayer($"layers.{i}", config.Layers[i], config.HiddenSize, config.LayerNormEpsilon, sites, i));
        pooler = new PoolerModule(UseLiteLayer.Site(sites, "pooler.dense", config.HiddenSize, config.HiddenSize));
        RegisterComponents();
    }

    public Tensor TokenEmbeddings => embeddings.Table; // (V, E)

    /// <param name="ids">(B, T) int64 token ids, any value at padding</param>
    /// <param name="mask">(B, T) float, 1 at real tokens, which form a prefix of each row</param>
    /// <param name="context">the pass's prompts (before the text) and per-row site tensors</param>
    public override UseLiteOutput forward(Tensor ids, Tensor mask, ForwardContext context)
    {
        var e = embeddings.Lookup(ids.clamp(0, _config.VocabSize - 1));          // (B, T, E)
        var pooling = mask;                                                      // (B, T): which positions the mean counts
        var prompts = context.Prompt;
        if (prompts?.VectorsFor(ids.shape[0]) is { } prompt)                    // (B, P, E)
        {
            // Soft prompt tokens go first, are attended to like real tokens, and stay out of the mean.
            var (b, p) = (ids.shape[0], prompt.shape[1]);
            e = cat([prompt, e], 1);                                             // (B, P + T, E)
            mask = cat([prompts.VectorMask?.to(mask.dtype) ?? ones(b, p, dtype: mask.dtype), mask], 1); // (B, P + T)
            pooling = cat([zeros(b, p, dtype: mask.dtype), pooling], 1);         // (B, P + T)
        }
        var keep = mask.unsqueeze(-1);                                           // (B, T, 1)
        // Positions count prompt tokens; left padding of shorter per-row prompts shifts each row back to start at 0.
        var positions = arange(e.shape[1], dtype: ScalarType.Float32);           // (T)
        if (prompts?.VectorMask is not null)
            positions = positions.unsqueeze(0) - prompts.PromptShift(ids.shape[0]).to(ScalarType.Float32); // (B, T)
        // The graph adds the embedding twice: once scattered, once inside AddTimingSignal. Reproduced exactly.
        var x = (e + e + timing.At(positions)) * keep;                           // (B, T, E)
        foreach (var layer in layers)
            x = layer.forward(x, mask, context);                                 // (B, T, H)
        var lengths = pooling.sum(1, keepdim: true).clamp_min(1);                // (B, 1)
        var mean = (x * pooling.unsqueeze(-1)).sum(1) / lengths;                 // (B, H)
        var pooled = pooler.forward(mean, context);                              // (B, H)
        var norm = pooled.square().sum(-1, keepdim: true).clamp_min(_config.L2Epsilon).rsqrt(); // (B, 1)
        return new UseLiteOutput(x, mean, pooled * norm);
    }

    /// <summary>Token embeddings as a frozen table (TorchSharp's Embedding would keep a second, unused weight).</summary>
    private sealed class TokenTable : nn.Module
    {
#pragma warning disable IDE1006
        private readonly Parameter weight;
#pragma warning restore IDE1006

        public TokenTable(long rows, long width) : base("embeddings")
        {
            weight = new Parameter(zeros(rows, width), requires_grad: false); // (V, E)
            RegisterComponents();
        }

        public Tensor Table => weight;

        public Tensor Lookup(Tensor ids) => weight.index_select(0, ids.flatten()).view([.. ids.shape, weight.shape[1]]); // (B, T, E)
    }

    /// <summary>sin | cos of position × inverse timescales (the graph's constant, loaded as a buffer).</summary>
    private sealed class TimingSignal : nn.Module
    {
#pragma warning disable IDE1006
        private readonly Tensor inv_timescales;
#pragma warning restore IDE1006

        public TimingSignal(long half) : base("timing")
        {
            inv_timescales = zeros(half); // (C/2)
            register_buffer("inv_timescales", inv_timescales);
        }

        /// <param name="positions">(T) shared by every row, or (B, T) per row</param>
        public Tensor At(Tensor positions)
        {
            var angles = positions.unsqueeze(-1) * inv_timescales;             // (..., T, 1) × (C/2) -> (..., T, C/2)
            return cat([angles.sin(), angles.cos()], -1);                      // (T, C) or (B, T, C)
        }
    }

    private sealed class PoolerModule : nn.Module<Tensor, ForwardContext, Tensor>
    {
#pragma warning disable IDE1006
        private readonly AdaptableLinear dense;
#pragma warning restore IDE1006

        public PoolerModule(AdaptableLinear site) : base("pooler")
        {
            dense = site;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x, ForwardContext context) => dense.forward(x, context).tanh(); // (B, H)
    }
}

/// <summary>Per-token states (B, T, H), the masked mean before the tanh layer (B, H), and the embedding (B, H).</summary>
public sealed record UseLiteOutput(Tensor TokenStates, Tensor MeanPooled, Tensor Embedding);
