using Cadre.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Routing.Learned;

/// <summary>
/// A small classifier on the frozen base's embeddings: standardize with the training rows' mean and spread, one
/// hidden layer of <see cref="Hidden"/> GELU units, one logit per specialist. Trained on the union of the
/// specialists' routing samples, full batch, AdamW, classes weighted by inverse frequency so a specialist with fewer
/// sampled rows is not out-voted. It has no notion of coverage, so abstention watches its calibrated top probability.
/// </summary>
public sealed class LearnedRouterMethod : IRouterMethod
{
    public const int Hidden = 128;
    public const int Steps = 300;
    public const double LearningRate = 3e-3;
    public const double WeightDecay = 1e-2;

    public string Name => "learned";
    public string Description => $"a one-hidden-layer classifier ({Hidden} GELU units) on standardized base embeddings";
    public int MinimumSpecialists => 2;

    public IRouter Fit(RouterData data, int seed)
    {
        var network = new RouterNetwork(data.Dimension, data.Specialists.Count, seed);
        try
        {
            using var scope = NewDisposeScope();
            var x = data.Tensor();                                                   // (N, D)
            network.Standardize(x);
            var gold = tensor(data.Owner.Select(o => (long)o).ToArray());            // (N)
            var counts = data.Owner.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
            var weights = tensor(Enumerable.Range(0, data.Specialists.Count)
                .Select(s => (float)(data.Rows / (double)(data.Specialists.Count * Math.Max(1, counts.GetValueOrDefault(s))))).ToArray()); // (S)
            using var optimizer = optim.AdamW(network.parameters(), LearningRate, weight_decay: WeightDecay);
            network.train();
            for (var step = 0; step < Steps; step++)
            {
                using var stepScope = NewDisposeScope();
                var loss = nn.functional.cross_entropy(network.forward(x), gold, weights); // (N, S) against (N)
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            network.eval();
            return new LearnedRouter(network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public IRouter Load(IReadOnlyDictionary<string, Tensor> state, int specialists, int dimension, string source)
    {
        var network = new RouterNetwork(dimension, specialists, seed: 0);
        try
        {
            var mine = network.state_dict();
            var errors = mine.Keys.Where(k => !state.ContainsKey(k)).Select(k => $"missing '{k}'")
                .Concat(state.Keys.Where(k => !mine.ContainsKey(k)).Select(k => $"unexpected '{k}'"))
                .Concat(mine.Where(p => state.TryGetValue(p.Key, out var t) && !t.shape.SequenceEqual(p.Value.shape))
                    .Select(p => $"'{p.Key}' has shape [{string.Join(", ", state[p.Key].shape)}], expected [{string.Join(", ", p.Value.shape)}]"))
                .ToList();
            if (errors.Count > 0)
                throw new CadreException($"{source}: not a learned router for {specialists} specialists on a {dimension}-d base: {string.Join("; ", errors)}");
            using (no_grad())
                foreach (var (key, t) in mine)
                    t.copy_(state[key].to(t.dtype));
            network.eval();
            return new LearnedRouter(network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}

internal sealed class RouterNetwork : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // checkpoint key names
    private readonly Tensor feature_mean;
    private readonly Tensor feature_std;
    private readonly Linear hidden;
    private readonly Linear output;
#pragma warning restore IDE1006

    public RouterNetwork(long features, long specialists, int seed) : base("router")
    {
        using (var _ = NewDisposeScope())
        {
            manual_seed(seed);
            hidden = nn.Linear(features, LearnedRouterMethod.Hidden);
            output = nn.Linear(LearnedRouterMethod.Hidden, specialists);
        }
        feature_mean = zeros(features);
        feature_std = ones(features);
        register_buffer("feature_mean", feature_mean);
        register_buffer("feature_std", feature_std);
        register_module("hidden", hidden);
        register_module("output", output);
    }

    public void Standardize(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        feature_mean.copy_(x.mean([0]));                    // (D)
        feature_std.copy_(x.std([0]).clamp_min(1e-6));      // (D)
    }

    /// <param name="x">(B, D)</param>
    /// <returns>(B, S) logits</returns>
    public override Tensor forward(Tensor x) =>
        output.forward(nn.functional.gelu(hidden.forward((x - feature_mean) / feature_std)));
}

internal sealed class LearnedRouter(RouterNetwork network) : IRouter
{
    public string Method => "learned";

    public long ParameterCount => network.parameters().Sum(p => p.numel());

    public RouterScores Score(Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = network.forward(embeddings.to(ScalarType.Float32)).contiguous(); // (N, S)
        var (n, s) = ((int)logits.shape[0], (int)logits.shape[1]);
        var flat = TensorValues.Floats(logits);
        return new RouterScores([.. Enumerable.Range(0, n).Select(i => flat.AsSpan(i * s, s).ToArray())], null);
    }

    public IReadOnlyDictionary<string, Tensor> State() => network.state_dict();

    public void Dispose() => network.Dispose();
}
