using System.Globalization;
using static TorchSharp.torch;

namespace Cadre.Merge.Methods;

/// <summary>
/// Fisher-weighted averaging (Matena and Raffel 2022): per entry, θ = Σ wᵢ Fᵢ θᵢ / Σ wᵢ Fᵢ, where Fᵢ is input i's
/// diagonal Fisher, first divided by its L2 norm over every merged entry (<c>normalize_fisher</c>, default true,
/// their default, so inputs weigh alike overall) and floored at <c>epsilon</c> (default 1e-6, theirs), so an entry
/// no input is sensitive to falls back to the weighted mean. Weights must be positive. The Fisher is estimated by
/// <c>Training/FisherEstimator</c> from each specialist's own training data.
/// </summary>
public sealed class FisherMerge : IMergeMethod
{
    public string Name => "fisher";
    public string Summary => "Fisher-weighted mean, diagonal Fisher from each input's training data";
    public IReadOnlyList<string> Parameters => ["epsilon", "normalize_fisher", "fisher_examples", "fisher_labels", "fisher_classes", "seed"];
    public bool NeedsFisher => true;

    public IReadOnlyList<string> ValidateWeights(IReadOnlyList<double> weights) =>
        weights.Any(w => w <= 0) ? ["weights: Fisher merging needs every weight > 0"] : [];

    public IReadOnlyDictionary<string, string> Effective(MergeSettings s) => new Dictionary<string, string>
    {
        ["epsilon"] = (s.Epsilon ?? 1e-6).ToString("R", CultureInfo.InvariantCulture),
        ["normalize_fisher"] = (s.NormalizeFisher ?? true) ? "true" : "false",
        ["fisher_examples"] = (s.FisherExamples ?? 512).ToString(CultureInfo.InvariantCulture),
        ["fisher_labels"] = s.FisherLabels ?? "expected",
        ["fisher_classes"] = (s.FisherClasses ?? 8).ToString(CultureInfo.InvariantCulture),
        ["seed"] = (s.Seed ?? 1).ToString(CultureInfo.InvariantCulture),
    };

    public Tensor Merge(MergeTensors t)
    {
        var fishers = t.Fishers ?? throw new InvalidOperationException($"fisher merge of '{t.Key}' without Fisher tensors");
        using var scope = NewDisposeScope();
        var epsilon = t.Settings.Epsilon ?? 1e-6;
        var normalize = t.Settings.NormalizeFisher ?? true;
        Tensor? numerator = null, denominator = null;
        for (var i = 0; i < t.TaskVectors.Count; i++)
        {
            var f = fishers[i].to(ScalarType.Float32);
            if (normalize)
            {
                var norm = t.FisherNorms?[i] ?? throw new InvalidOperationException("normalize_fisher needs each input's Fisher norm");
                f = norm > 0 ? f / norm : f;
            }
            var weighted = f.clamp_min(epsilon) * t.Weights[i];                        // (...)
            var term = weighted * t.TaskVectors[i].to(ScalarType.Float32);             // (...)
            numerator = numerator is null ? term : numerator + term;
            denominator = denominator is null ? weighted : denominator + weighted;
        }
        return (numerator! / denominator!).MoveToOuterDisposeScope();
    }
}
