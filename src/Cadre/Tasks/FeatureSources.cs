using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Tasks;

/// <summary>Where the head's inputs come from during training: cached frozen features, or a base with an adapter.</summary>
public interface IFeatureSource
{
    /// <summary>Embeddings (B, D) of training rows, in the caller's dispose scope, with gradients where trainable.</summary>
    Tensor Train(int[] rows);

    /// <summary>Embeddings (N, D) of a data set without gradients (adapter in evaluation mode); the caller owns them.</summary>
    Tensor Evaluate(Dataset data);

    /// <summary>Trainable tensors besides the head's.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Trainable state by name, for checkpoints and the best-epoch snapshot (includes the dropout stream).</summary>
    IReadOnlyDictionary<string, Tensor> State();

    void Restore(IReadOnlyDictionary<string, Tensor> state);
}

/// <summary>The <c>head</c> method: the base runs once per text and its embeddings are cached.</summary>
public sealed class CachedFeatures(ISentenceEncoder encoder, Tensor trainFeatures, int maxLength) : IFeatureSource
{
    public Tensor Train(int[] rows) => trainFeatures.index_select(0, tensor(rows.Select(i => (long)i).ToArray())); // (B, D)

    public Tensor Evaluate(Dataset data) => AdapterFeatures.Embed(encoder, null, data.Examples.Select(e => e.Text).ToList(), maxLength);

    public IReadOnlyList<Parameter> Parameters => [];

    public IReadOnlyDictionary<string, Tensor> State() => new Dictionary<string, Tensor>();

    public void Restore(IReadOnlyDictionary<string, Tensor> state) { }
}

/// <summary>Adapter methods: every step runs the base with the adapter attached, texts cut to max_length.</summary>
public sealed class AdapterFeatures(ISentenceEncoder encoder, AttachedAdapter adapter, IReadOnlyList<string> texts, int maxLength,
                                    int evaluationBatch = 64) : IFeatureSource
{
    /// <summary>Tokens kept per text unless a spec says otherwise (<c>training.max_length</c>).</summary>
    public const int DefaultMaxLength = 128;

    private const string DropoutKey = "rng.dropout";

    public Tensor Train(int[] rows)
    {
        adapter.Training = true;
        return encoder.EmbedBatch(rows.Select(i => texts[i]).ToList(), maxLength); // (B, D)
    }

    public Tensor Evaluate(Dataset data) => Embed(encoder, adapter, data.Examples.Select(e => e.Text).ToList(), maxLength, evaluationBatch);

    /// <summary>
    /// (N, D) embeddings with the adapter in evaluation mode, batched by length; the caller owns the result.
    /// <paramref name="progress"/> hears rows done after each batch (the longest texts come last, so the time left
    /// it shows is a lower bound).
    /// </summary>
    public static Tensor Embed(ISentenceEncoder encoder, AttachedAdapter? adapter, IReadOnlyList<string> texts, int maxLength, int batchSize = 64,
                               IProgress<Util.ProgressUpdate>? progress = null, string stage = "embed")
    {
        if (adapter is not null) adapter.Training = false;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length).ToArray();
        var parts = new List<Tensor>();
        var done = 0;
        progress?.Report(new Util.ProgressUpdate(stage, 0, texts.Count, "rows"));
        foreach (var chunk in order.Chunk(batchSize))
        {
            parts.Add(encoder.EmbedBatch(chunk.Select(i => texts[i]).ToList(), maxLength)); // (B, D)
            progress?.Report(new Util.ProgressUpdate(stage, done += chunk.Length, texts.Count, "rows"));
        }
        if (parts.Count == 0)
            return zeros(0, encoder.Dimension).MoveToOuterDisposeScope();
        var sorted = cat(parts, 0);                                                   // (N, D) in length order
        var inverse = new long[order.Length];
        for (var k = 0; k < order.Length; k++) inverse[order[k]] = k;
        return sorted.index_select(0, tensor(inverse)).MoveToOuterDisposeScope();      // (N, D) in input order
    }

    public IReadOnlyList<Parameter> Parameters => [.. adapter.Parameters.Values];

    public IReadOnlyDictionary<string, Tensor> State()
    {
        var state = adapter.Parameters.ToDictionary(p => p.Key, p => (Tensor)p.Value);
        if (adapter is IHasDropout d)
            state[DropoutKey] = d.Dropout.State;
        return state;
    }

    public void Restore(IReadOnlyDictionary<string, Tensor> state)
    {
        using (no_grad())
            foreach (var (key, p) in adapter.Parameters)
                p.copy_(state[key]);
        if (adapter is IHasDropout d && state.TryGetValue(DropoutKey, out var rng))
            d.Dropout.Restore(rng);
    }
}
