using Cadre.Models;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>
/// One forward pass's adapters, gathered per row (the S-LoRA / Punica way, on a CPU) into the pass's
/// <see cref="ForwardContext"/>: for every site that some row's specialist adapts, LoRA factors stacked per row,
/// A (B, r, in) and B (B, out, r), with the batch's widest rank and zeros where a row's specialist has a smaller rank
/// or no LoRA at that site (zeros add nothing, so padding is exact), and (IA)³ vectors per row (B, F), ones where a
/// row has none; and the rows' soft prompts and deep prompts, each kind left-padded to the batch's longest. The whole
/// batch then takes one batched matmul per site instead of one forward pass per adapter. Cost per pass and site: a
/// copy of B · r · (in + out) floats, small next to the base's B · T · in · out multiply-adds. Owns every tensor it
/// made; disposing frees them once the pass is over.
/// </summary>
internal sealed class GatheredAdapters : IDisposable
{
    private readonly List<Tensor> _owned = [];

    /// <param name="encoder">the shared base: its sites and prompt widths are read, nothing of it changes</param>
    /// <param name="rows">each row's specialist, or null for a row that reads the bare base</param>
    public GatheredAdapters(ISentenceEncoder encoder, IReadOnlyList<ServedSpecialist?> rows)
    {
        // Temporaries die with this scope; the gathered tensors are detached from it and freed by Dispose.
        using var scope = NewDisposeScope();
        try
        {
            var sites = new Dictionary<AdaptableLinear, SiteRows>(ReferenceEqualityComparer.Instance);
            // Distinct specialists get local slots 1..U; slot 0 is "nothing here" (zeros for LoRA, ones for (IA)³).
            var distinct = rows.Where(r => r is not null).Distinct().Cast<ServedSpecialist>().ToList();
            var slotOf = distinct.Select((s, i) => (s, i + 1)).ToDictionary(p => p.s, p => (long)p.Item2);
            var rowSlots = tensor(rows.Select(r => r is null ? 0L : slotOf[r]).ToArray());         // (B)
            foreach (var (name, site) in encoder.Sites)
            {
                var lora = distinct.Where(s => s.LowRank.ContainsKey(name)).ToList();
                var scales = distinct.Where(s => s.Scales.ContainsKey(name)).ToList();
                if (lora.Count == 0 && scales.Count == 0)
                    continue;
                Tensor? a = null, b = null, inScale = null, outScale = null;
                if (lora.Count > 0)
                {
                    // One stack per factor: slot 0 and specialists without LoRA here are zeros; smaller ranks are padded.
                    var rank = lora.Max(s => s.LowRank[name].A.shape[0]);
                    var zeroA = zeros(rank, site.InFeatures);                                        // (r, in)
                    var zeroB = zeros(site.OutFeatures, rank);                                       // (out, r)
                    Tensor FactorA(ServedSpecialist? s) => s is null || !s.LowRank.TryGetValue(name, out var f) ? zeroA
                        : f.A.shape[0] == rank ? f.A : nn.functional.pad(f.A, [0, 0, 0, rank - f.A.shape[0]]);
                    Tensor FactorB(ServedSpecialist? s) => s is null || !s.LowRank.TryGetValue(name, out var f) ? zeroB
                        : f.B.shape[1] == rank ? f.B : nn.functional.pad(f.B, [0, rank - f.B.shape[1]]);
                    // Stacked straight into rows: one copy per row, no table of distinct specialists in between.
                    var padded = distinct.ToDictionary(s => s, s => (A: FactorA(s), B: FactorB(s)));
                    a = stack([.. rows.Select(r => r is null ? zeroA : padded[r].A)]);                // (B, r, in)
                    b = stack([.. rows.Select(r => r is null ? zeroB : padded[r].B)]);                // (B, out, r)
                }
                foreach (var input in new[] { true, false })
                {
                    var users = scales.Where(s => s.Scales[name].ScalesInput == input).ToList();
                    if (users.Count == 0) continue;
                    var identity = ones(input ? site.InFeatures : site.OutFeatures);                 // (F)
                    var table = stack([.. distinct.Prepend(null).Select(s =>
                        s is not null && s.Scales.TryGetValue(name, out var v) && v.ScalesInput == input ? v.Vector : identity)]); // (U + 1, F)
                    var perRow = table.index_select(0, rowSlots);                                      // (B, F)
                    if (input) inScale = perRow; else outScale = perRow;
                }
                sites[site] = new SiteRows(Keep(a), Keep(b), Keep(inScale), Keep(outScale));
            }
            Tensor? PromptOf(ServedSpecialist? r, bool deep) => r?.Prompt is { } p && r.DeepPrompt == deep ? p : null;
            var prompts = PromptBatch.Gather([.. rows.Select(r => PromptOf(r, false))], [.. rows.Select(r => PromptOf(r, true))],
                                             encoder.TokenWidth, encoder.Prompt.LayerWidths);
            Context = new ForwardContext
            {
                Sites = sites,
                Prompt = prompts is null ? null : prompts with
                {
                    Vectors = Keep(prompts.Vectors), VectorMask = Keep(prompts.VectorMask),
                    Prefixes = Keep(prompts.Prefixes), PrefixMask = Keep(prompts.PrefixMask),
                },
            };
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>What the pass's sites and layers read: valid until this object is disposed.</summary>
    public ForwardContext Context { get; } = ForwardContext.None;

    private Tensor? Keep(Tensor? t)
    {
        if (t is null) return null;
        t.DetachFromDisposeScope();
        _owned.Add(t);
        return t;
    }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
