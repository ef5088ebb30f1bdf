using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tasks;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>
/// A specialist in the serving pool: its adapter's contributions read from its files (per site LoRA factors with
/// the scaling folded into B, (IA)³ vectors, a soft prompt) and one head per task. Nothing of it is ever attached to
/// the shared base: the batcher gathers these tensors per row of a mixed batch into the pass's context. A full fine-tune cannot share the
/// base, so it keeps a model of its own (<see cref="Dedicated"/>), counted at its full size in the pool's budget.
/// Tensors are detached and owned here; <see cref="Dispose"/> frees them once no queued request holds the entry.
/// What it loads and how it answers come from the record's inference contract, never from the training spec.
/// </summary>
public sealed class ServedSpecialist : IDisposable
{
    private int _holds;
    private int _disposed;

    private ServedSpecialist(SpecialistRecord record, VersionInfo version)
    {
        Record = record;
        Contract = record.Contract;
        Version = version;
    }

    public SpecialistRecord Record { get; }

    /// <summary>The record's inference contract, derived once for a record written before contracts existed.</summary>
    public InferenceContract Contract { get; }
    public VersionInfo Version { get; }
    public string Name => Record.Name;

    /// <summary>Per site (checkpoint name): A (r, in) and scaling · B (out, r).</summary>
    public Dictionary<string, (Tensor A, Tensor B)> LowRank { get; } = new(StringComparer.Ordinal);

    /// <summary>Per site: the (IA)³ vector (F) and whether it scales the site's input.</summary>
    public Dictionary<string, (Tensor Vector, bool ScalesInput)> Scales { get; } = new(StringComparer.Ordinal);

    /// <summary>Soft prompt (P, E) or deep prefixes (P, Σ 2·W), or null.</summary>
    public Tensor? Prompt { get; private set; }
    public bool DeepPrompt { get; private set; }

    public IReadOnlyList<(InferenceTask Task, ClassifierHead Head)> Heads { get; private set; } = [];

    /// <summary>A full fine-tune's own model, or null for specialists that share the base.</summary>
    public SpecialistModel? Dedicated { get; private set; }

    /// <summary>Bytes of tensors this entry keeps (the pool's budget counts them).</summary>
    public long Bytes { get; private set; }

    /// <summary>Rank of the widest LoRA factor (0 without LoRA).</summary>
    public long MaxRank => LowRank.Count == 0 ? 0 : LowRank.Values.Max(f => f.A.shape[0]);

    /// <summary>Distinct max_length of the tasks: a merged specialist may have several.</summary>
    public IReadOnlyList<int> MaxLengths => [.. Heads.Select(h => h.Task.MaxLength).Distinct()];

    /// <summary>Set by the pool when a newer version replaced this one or it was evicted; freed when unheld.</summary>
    public bool Retired { get; set; }

    /// <summary>Pool clock tick of the last request (least recently used goes first).</summary>
    public long LastUsed { get; set; }

    /// <summary>
    /// Reads the specialist in <paramref name="folder"/>, checked against <paramref name="encoder"/>'s site names,
    /// shapes and widths; nothing of the encoder changes, so passes on it may run meanwhile.
    /// </summary>
    public static ServedSpecialist Load(string home, ISentenceEncoder encoder, SpecialistRecord record, VersionInfo version, string folder)
    {
        var served = new ServedSpecialist(record, version);
        try
        {
            var adapter = served.Contract.Adapter;
            if (adapter.OwnsBase)
            {
                served.Dedicated = SpecialistModel.Load(home, record, folder);
                served.Bytes = encoder.Module.parameters().Sum(p => p.numel() * p.element_size());
                served.LoadHeads(encoder, folder);
                return served;
            }
            if (adapter.Method != "head")
                served.ReadAdapter(encoder, folder);
            served.LoadHeads(encoder, folder);
            return served;
        }
        catch
        {
            served.Dispose();
            throw;
        }
    }

    private void ReadAdapter(ISentenceEncoder encoder, string folder)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var adapter = AdapterFiles.ReadContributions(encoder, folder, Contract.Adapter.Method);
        foreach (var (site, contribution) in adapter.Sites)
        {
            switch (contribution)
            {
                case LowRankContribution lr:
                    var a = lr.A.detach().clone().contiguous();                       // (r, in)
                    var b = (lr.B.detach() * lr.Scaling).contiguous();                // (out, r), scaling folded in
                    LowRank[site] = (a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
                    break;
                case ScaleContribution s:
                    Scales[site] = (s.Vector.detach().clone().contiguous().MoveToOuterDisposeScope(), s.ScalesInput);
                    break;
                default:
                    throw new CadreException($"{folder}: the {Contract.Adapter.Method} adapter at '{site}' cannot be gathered for mixed batches");
            }
        }
        if (adapter.Prompt is { } prompt)
        {
            Prompt = prompt.Vectors.detach().clone().contiguous().MoveToOuterDisposeScope();
            DeepPrompt = prompt.Deep;
        }
        Bytes += LowRank.Values.Sum(f => Size(f.A) + Size(f.B)) + Scales.Values.Sum(s => Size(s.Vector)) + (Prompt is null ? 0 : Size(Prompt));
    }

    private void LoadHeads(ISentenceEncoder encoder, string folder)
    {
        var heads = new List<(InferenceTask, ClassifierHead)>();
        Heads = heads;
        foreach (var task in Contract.Tasks)
        {
            var head = SpecialistModel.LoadHead(folder, task, encoder.Dimension);
            heads.Add((task, head));
            Bytes += head.parameters().Sum(p => p.numel() * p.element_size()) + head.buffers().Sum(p => p.numel() * p.element_size());
        }
    }

    private static long Size(Tensor t) => t.numel() * t.element_size();

    /// <summary>A queued request holds the entry so that eviction or a reload cannot free it under the request.</summary>
    public void Hold() => Interlocked.Increment(ref _holds);

    public void Release() => Interlocked.Decrement(ref _holds);

    public bool Held => Volatile.Read(ref _holds) > 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        foreach (var (a, b) in LowRank.Values) { a.Dispose(); b.Dispose(); }
        foreach (var (v, _) in Scales.Values) v.Dispose();
        Prompt?.Dispose();
        foreach (var (_, head) in Heads) head.Dispose();
        Dedicated?.Dispose();
        LowRank.Clear();
        Scales.Clear();
    }
}
