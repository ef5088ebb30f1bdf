using System.Globalization;
using Cadre.Specialists;
using static TorchSharp.torch;

namespace Cadre.Routing;

/// <summary>
/// Pairs of specialists a router cannot tell apart: trained on the same file (same SHA-256), or whose routing
/// samples nearly coincide (at least <see cref="TwinShare"/> of one's probed rows have a twin, cosine at least
/// <see cref="TwinCosine"/>, among the other's rows). A router over such a pair splits their inputs between them
/// at random: an exact copy of one specialist took a router's held-out accuracy from 0.94 to 0.67. Cost: one
/// (S, D)·(D, S) product of mean embeddings, then <see cref="Probe"/> rows against the other's rows only for pairs
/// whose means already agree (cosine at least <see cref="MeanCosine"/>).
/// </summary>
public static class NearCopies
{
    public const double MeanCosine = 0.98;
    public const double TwinCosine = 0.99;
    public const double TwinShare = 0.9;
    public const int Probe = 64;

    /// <summary>One line per near-identical pair, naming both and how to leave one out.</summary>
    public static IReadOnlyList<string> Find(IReadOnlyList<SpecialistRecord> records, IReadOnlyList<RoutingSample> samples)
    {
        var found = new List<string>();
        if (samples.Count < 2) return found;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var rows = samples.Select(s => Unit(tensor(s.Embeddings).reshape(s.Rows, s.Dimension))).ToList(); // (N_s, D) each
        var means = Unit(stack(rows.Select(r => r.mean([0])), 0));                                    // (S, D)
        var meanCos = means.mm(means.t());                                                             // (S, S)
        for (var a = 0; a < samples.Count; a++)
            for (var b = a + 1; b < samples.Count; b++)
            {
                var why = SameData(records[a], records[b]);
                if (why is null && meanCos[a, b].item<float>() >= MeanCosine)
                {
                    var share = Math.Max(TwinRows(rows[a], rows[b]), TwinRows(rows[b], rows[a]));
                    if (share >= TwinShare)
                        why = string.Create(CultureInfo.InvariantCulture, $"{share:P0} of one's routing rows have a near-identical row (cosine >= {TwinCosine}) in the other's");
                }
                if (why is null) continue;
                var keep = records.Where((_, i) => i != b).Select(r => r.Name);
                found.Add($"specialists '{records[a].Name}' and '{records[b].Name}' look the same to a router ({why}): it will split their inputs between them; "
                          + $"leave one out with --specialists {string.Join(",", keep)}");
            }
        return found;
    }

    private static string? SameData(SpecialistRecord a, SpecialistRecord b) =>
        a.Data.TryGetValue("train", out var x) && b.Data.TryGetValue("train", out var y) && x.Sha256 == y.Sha256
            ? $"trained on the same data, sha256 {x.Sha256[..12]}" : null;

    /// <summary>Share of up to <see cref="Probe"/> of <paramref name="a"/>'s rows whose nearest row in <paramref name="b"/> is a twin.</summary>
    private static double TwinRows(Tensor a, Tensor b)
    {
        var probe = a.narrow(0, 0, Math.Min(Probe, a.shape[0]));     // (p, D)
        var best = probe.mm(b.t()).amax([1]);                        // (p, D)·(D, N_b) → (p, N_b) → (p)
        return best.ge(TwinCosine).to(ScalarType.Float32).mean().item<float>();
    }

    private static Tensor Unit(Tensor x) => x / x.norm(1, keepdim: true).clamp_min(1e-12); // rows to unit length
}
