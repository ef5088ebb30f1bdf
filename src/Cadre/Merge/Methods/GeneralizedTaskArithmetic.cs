using System.Globalization;
using static TorchSharp.torch;

namespace Cadre.Merge.Methods;

/// <summary>How a generalized task-arithmetic method thins each task vector before the weighted sum.</summary>
public enum Sparsification { None, Magnitude, Random }

/// <summary>
/// mergekit's generalized task arithmetic, which task arithmetic, TIES, DARE-linear and DARE-TIES are settings of:
/// per input, sparsify the task vector (magnitude trim or random drop) and multiply it by the input's weight; with
/// sign consensus, keep only entries that agree with the elected sign; sum; with <c>normalize</c>, divide by the
/// summed weights (of the agreeing inputs, per entry, under consensus; a zero sum divides by 1); scale by λ.
/// </summary>
public abstract class GeneralizedTaskArithmetic(string name, string summary, Sparsification sparsification, bool consensus,
                                                 bool defaultNormalize, bool defaultRescale, double defaultDensity) : IMergeMethod
{
    public string Name => name;
    public string Summary => summary;

    public IReadOnlyList<string> Parameters { get; } =
    [
        "lambda", "normalize",
        .. sparsification == Sparsification.None ? Array.Empty<string>() : ["density"],
        .. sparsification == Sparsification.Random ? ["rescale", "seed"] : Array.Empty<string>(),
        .. consensus ? ["consensus"] : Array.Empty<string>(),
    ];

    public IReadOnlyDictionary<string, string> Effective(MergeSettings s)
    {
        var ci = CultureInfo.InvariantCulture;
        var effective = new Dictionary<string, string>
        {
            ["lambda"] = (s.Lambda ?? 1).ToString("R", ci),
            ["normalize"] = (s.Normalize ?? defaultNormalize) ? "true" : "false",
        };
        if (sparsification != Sparsification.None)
            effective["density"] = (s.Density ?? defaultDensity).ToString("R", ci);
        if (sparsification == Sparsification.Random)
        {
            effective["rescale"] = (s.Rescale ?? defaultRescale) ? "true" : "false";
            effective["seed"] = (s.Seed ?? 1).ToString(ci);
        }
        if (consensus)
            effective["consensus"] = s.Consensus ?? "sum";
        return effective;
    }

    public Tensor Merge(MergeTensors t)
    {
        using var scope = NewDisposeScope();
        var s = t.Settings;
        var density = s.Density ?? defaultDensity;
        var deltas = t.TaskVectors.Select((v, i) =>
        {
            var d = v.to(ScalarType.Float32);
            return sparsification switch
            {
                Sparsification.Magnitude => Sparsify.Magnitude(d, density),
                Sparsification.Random => Sparsify.Random(d, density, s.Rescale ?? defaultRescale, s.Seed ?? 1, t.Key, i),
                _ => d,
            };
        }).ToList();
        var stacked = stack(deltas, 0);                                                   // (n, ...)
        var shape = new long[stacked.dim()];
        Array.Fill(shape, 1L);
        shape[0] = deltas.Count;
        var weights = tensor(t.Weights.Select(w => (float)w).ToArray()).reshape(shape);  // (n, 1, ..., 1)
        var weighted = stacked * weights;                                                // (n, ...)
        Tensor mixed, divisor;
        if (consensus)
        {
            var mask = Sparsify.Consensus(weighted, s.Consensus ?? "sum");               // (n, ...)
            mixed = (weighted * mask).sum([0L]);                                            // (...)
            divisor = (weights * mask).sum([0L]);                                           // (...)
            divisor = where(divisor.eq(0), ones_like(divisor), divisor);
        }
        else
        {
            mixed = weighted.sum([0L]);                                                     // (...)
            var total = t.Weights.Sum();
            divisor = tensor(Math.Abs(total) < 1e-8 ? 1f : (float)total);                // scalar
        }
        if (s.Normalize ?? defaultNormalize)
            mixed = mixed / divisor;
        var lambda = s.Lambda ?? 1;
        if (lambda != 1)
            mixed = mixed * lambda;
        return mixed.MoveToOuterDisposeScope();
    }
}
