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
    /// Soft prompts and deep prompts of any lengths share the pass: each kind is left-padded per row to the batch's
    /// longest, and the base masks the padding and counts positions per row, so each row computes what it computes
    /// alone. The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Forward(IReadOnlyList<string> texts, IReadOnlyList<ServedSpecialist?> rows, int maxLength)
    {
        lock (Lock)
        {
            using var _ = no_grad();
            using var gathered = new GatheredAdapters(Encoder.Sites, rows);
            using var scope = NewDisposeScope();
            _current = gathered.Any ? gathered : null;
            try
            {
                Tensor? PromptOf(ServedSpecialist? r, bool deep) => r?.Prompt is { } p && r.DeepPrompt == deep ? p : null;
                if (SoftPrompt.LeftPad([.. rows.Select(r => PromptOf(r, false))], Encoder.TokenWidth) is { } input)
                    (Encoder.Prompt.Vectors, Encoder.Prompt.VectorMask) = input;
                if (SoftPrompt.LeftPad([.. rows.Select(r => PromptOf(r, true))], Encoder.Prompt.PrefixWidth) is { } deep)
                    (Encoder.Prompt.Prefixes, Encoder.Prompt.PrefixMask) = deep;
                return Encoder.EmbedBatch(texts, maxLength).MoveToOuterDisposeScope();   // (B, D)
            }
            finally
            {
                _current = null;
                (Encoder.Prompt.Vectors, Encoder.Prompt.VectorMask) = (null, null);
                (Encoder.Prompt.Prefixes, Encoder.Prompt.PrefixMask) = (null, null);
            }
        }
    }

    public void Dispose() => Encoder.Dispose();
}
