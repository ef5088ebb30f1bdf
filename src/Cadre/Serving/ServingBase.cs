using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Store;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>
/// One frozen base shared by every specialist served on it. Nothing is ever attached to it: a forward pass gathers
/// its rows' adapters and prompts into one <see cref="ForwardContext"/> (<see cref="GatheredAdapters"/>), hands it to
/// the base's batch entry point, and frees it after the pass. Specialists are read from their files alone
/// (<see cref="ServedSpecialist.Load"/>), so loading one never waits for a pass. The lock serializes forward passes.
/// </summary>
internal sealed class ServingBase : IDisposable
{
    public ServingBase(string home, string name)
    {
        Name = name;
        Encoder = BaseModels.LoadEncoder(new BaseCatalog(home), name);
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
            using var gathered = new GatheredAdapters(Encoder, rows);
            return Encoder.EmbedBatch(texts, maxLength, gathered.Context);   // (B, D)
        }
    }

    public void Dispose() => Encoder.Dispose();
}
