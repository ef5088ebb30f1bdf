using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Store;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>
/// One frozen base shared by every specialist served on it. Each linear site carries one permanent
/// <see cref="GatheredSite"/> hook; a forward pass sets the gathered per-row tensors, runs the base once for the
/// whole mixed batch and clears them. The lock serializes forward passes and adapter reads (a read attaches the
/// adapter for a moment to take its contributions out).
/// </summary>
internal sealed class ServingBase : IDisposable
{
    private GatheredAdapters? _current;

    public ServingBase(string home, string name)
    {
        Name = name;
        Encoder = BaseModels.LoadEncoder(new BaseCatalog(home), name);
        foreach (var (site, linear) in Encoder.Sites)
            linear.Attach(new GatheredSite(site, () => _current));
        Bytes = Encoder.Module.parameters().Sum(p => p.numel() * p.element_size());
    }

    public string Name { get; }
    public ISentenceEncoder Encoder { get; }
    public object Lock { get; } = new();
    public long Bytes { get; }

    /// <summary>
    /// Sentence features (B, D) of one pass: row i reads <paramref name="rows"/>[i]'s adapter (null: the bare base).
    /// Every row must share the prompt's kind and length (the batcher plans passes so); the result belongs to the
    /// caller's dispose scope.
    /// </summary>
    public Tensor Forward(IReadOnlyList<string> texts, IReadOnlyList<ServedSpecialist?> rows, int maxLength)
    {
        lock (Lock)
        {
            using var _ = no_grad();
            using var gathered = new GatheredAdapters(Encoder.Sites, rows);
            using var scope = NewDisposeScope();
            var prompted = rows.Where(r => r?.Prompt is not null).Cast<ServedSpecialist>().ToList();
            if (prompted.Count > 0 && prompted.Count != rows.Count)
                throw new InvalidOperationException("a pass mixes rows with and without a soft prompt");
            _current = gathered.Any ? gathered : null;
            try
            {
                if (prompted.Count > 0)
                {
                    var perRow = stack([.. rows.Select(r => r!.Prompt!)]);                 // (B, P, E) or (B, P, Σ 2·W)
                    if (prompted[0].DeepPrompt) Encoder.Prompt.Prefixes = perRow;
                    else Encoder.Prompt.Vectors = perRow;
                }
                return Encoder.EmbedBatch(texts, maxLength).MoveToOuterDisposeScope();   // (B, D)
            }
            finally
            {
                _current = null;
                Encoder.Prompt.Vectors = null;
                Encoder.Prompt.Prefixes = null;
            }
        }
    }

    public void Dispose() => Encoder.Dispose();
}
