using Cadre.Models;
using static TorchSharp.torch;

namespace Cadre.Serving;

/// <summary>
/// One forward pass's adapter tensors, gathered per row (the S-LoRA / Punica way, on a CPU): for every site that
/// some row's specialist adapts, LoRA factors stacked per row, A (B, r, in) and B (B, out, r), with the batch's
/// widest rank and zeros where a row's specialist has a smaller rank or no LoRA at that site (zeros add nothing,
/// so padding is exact), and (IA)³ vectors per row (B, F), ones where a row has none. The whole batch then takes
/// one batched matmul per site instead of one forward pass per adapter. Cost per pass and site: a copy of
/// B · r · (in + out) floats, small next to the base's B · T · in · out multiply-adds.
/// </summary>
internal sealed class GatheredAdapters : IDisposable
{
    private readonly Dictionary<string, Site> _sites = new(StringComparer.Ordinal);
    private readonly List<Tensor> _owned = [];

    private sealed record Site(Tensor? A, Tensor? B, Tensor? InScale, Tensor? OutScale);

    /// <param name="rows">each row's specialist, or null for a row that reads the bare base</param>
    public GatheredAdapters(IReadOnlyDictionary<string, AdaptableLinear> sites, IReadOnlyList<ServedSpecialist?> rows)
    {
        // Temporaries die with this scope; the gathered tensors are detached from it and freed by Dispose.
        using var scope = NewDisposeScope();
        try
        {
            // Distinct specialists get local slots 1..U; slot 0 is "nothing here" (zeros for LoRA, ones for (IA)³).
            var distinct = rows.Where(r => r is not null).Distinct().Cast<ServedSpecialist>().ToList();
            var slotOf = distinct.Select((s, i) => (s, i + 1)).ToDictionary(p => p.s, p => (long)p.Item2);
            var rowSlots = tensor(rows.Select(r => r is null ? 0L : slotOf[r]).ToArray());         // (B)
            foreach (var (name, site) in sites)
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
                _sites[name] = new Site(Keep(a), Keep(b), Keep(inScale), Keep(outScale));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private Tensor? Keep(Tensor? t)
    {
        if (t is null) return null;
        t.DetachFromDisposeScope();
        _owned.Add(t);
        return t;
    }

    public bool Any => _sites.Count > 0;

    /// <summary>The site's input after per-row (IA)³ input scaling.</summary>
    public Tensor Input(string site, Tensor x) =>
        _sites.TryGetValue(site, out var s) && s.InScale is { } v ? x * PerRow(v, x) : x;

    /// <summary>The site's output after per-row (IA)³ output scaling and the per-row LoRA update.</summary>
    public Tensor Output(string site, Tensor x, Tensor y)
    {
        if (!_sites.TryGetValue(site, out var s)) return y;
        if (s.OutScale is { } v) y = y * PerRow(v, y);
        if (s.A is null || s.B is null) return y;
        var rows = x.shape[0];
        var x3 = x.reshape(rows, -1, x.shape[^1]);                            // (B, T, in), T = 1 for pooled inputs
        var delta = x3.bmm(s.A.transpose(1, 2)).bmm(s.B.transpose(1, 2));    // (B, T, in) @ (B, in, r) @ (B, r, out) -> (B, T, out)
        return y + delta.reshape(y.shape);                                   // (..., out)
    }

    /// <summary>A (B, F) table viewed as (B, 1, ..., F) to broadcast over <paramref name="like"/>.</summary>
    private static Tensor PerRow(Tensor table, Tensor like)
    {
        var shape = Enumerable.Repeat(1L, (int)like.dim()).ToArray();
        shape[0] = table.shape[0];
        shape[^1] = table.shape[1];
        return table.view(shape);
    }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}

/// <summary>The hook every site of a served base carries: it applies whatever the current pass gathered.</summary>
internal sealed class GatheredSite(string name, Func<GatheredAdapters?> current) : ISiteAdapter
{
    public Tensor ApplyInput(Tensor x, Tensor? rowSlots) => current() is { } g ? g.Input(name, x) : x;

    public Tensor Apply(Tensor x, Tensor y, Tensor? rowSlots) => current() is { } g ? g.Output(name, x, y) : y;

    public void Dispose() { }
}
