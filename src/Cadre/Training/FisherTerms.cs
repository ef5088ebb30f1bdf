using Cadre.Data;
using Cadre.Specialists;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>
/// The log-likelihood terms whose squared gradients make up the Fisher of one batch: term j is a scalar that sums
/// one term per row (rows do not interact in the encoder, so the gradient of the sum for row b is row b's own), with
/// a weight per row. See <see cref="FisherEstimator"/> for what each label mode means.
/// </summary>
internal static class FisherTerms
{
    public sealed record Term(Tensor Scalar, float[] Weights);

    /// <param name="outputs">(B, C) head outputs</param>
    /// <returns>The terms and, per row, the probability mass the expectation left out.</returns>
    public static (List<Term> Terms, double LeftOut) Of(TaskRecord task, Tensor outputs, IReadOnlyList<Example> rows, FisherOptions options,
                                                        Random random, double targetStd)
    {
        var terms = new List<Term>();
        var b = rows.Count;
        var ones = Enumerable.Repeat(1f, b).ToArray();
        switch (task.Kind)
        {
            case TaskKind.Regression:
            {
                // y / σ: the head's output in standardized units (its mean only shifts it by a constant)
                var value = outputs.select(1, 0) / targetStd;                               // (B)
                var gold = tensor(rows.Select(r => (float)(r.Target!.Value / targetStd)).ToArray());
                terms.Add(new Term(options.Labels == "gold" ? (-0.5 * (value - gold).square()).sum() : value.sum(), ones));
                return (terms, 0);
            }
            case TaskKind.Multilabel:
            {
                var p = nn.functional.sigmoid(outputs).data<float>().ToArray();            // (B, C) row-major
                var c = (int)outputs.shape[1];
                if (options.Labels == "expected")
                {
                    // one term per rank j: each row's j-th label by p(1 - p), weighted by it
                    var ranked = Enumerable.Range(0, b).Select(r => Enumerable.Range(0, c)
                        .OrderByDescending(l => p[r * c + l] * (1 - p[r * c + l])).Take(options.Classes).ToArray()).ToArray();
                    for (var j = 0; j < Math.Min(options.Classes, c); j++)
                    {
                        var index = tensor(ranked.Select(r => (long)r[j]).ToArray()).unsqueeze(1);   // (B, 1)
                        terms.Add(new Term(outputs.gather(1, index).sum(),
                            Enumerable.Range(0, b).Select(r => p[r * c + ranked[r][j]] * (1 - p[r * c + ranked[r][j]])).ToArray()));
                    }
                    return (terms, 0);
                }
                var y = new float[b * c];
                for (var r = 0; r < b; r++)
                {
                    var gold = new HashSet<string>(rows[r].Labels ?? [], StringComparer.Ordinal);
                    for (var l = 0; l < c; l++)
                        y[r * c + l] = (options.Labels == "gold" ? gold.Contains(task.Labels[l]) : random.NextDouble() < p[r * c + l]) ? 1 : 0;
                }
                var target = tensor(y).reshape(b, c);
                terms.Add(new Term(-nn.functional.binary_cross_entropy_with_logits(outputs, target, reduction: nn.Reduction.Sum), ones));
                return (terms, 0);
            }
            default:
            {
                var logp = nn.functional.log_softmax(outputs, 1);                              // (B, C)
                var probs = logp.exp().data<float>().ToArray();
                var c = (int)outputs.shape[1];
                if (options.Labels == "expected")
                {
                    var top = Enumerable.Range(0, b).Select(r => Enumerable.Range(0, c).OrderByDescending(k => probs[r * c + k])
                        .Take(options.Classes).ToArray()).ToArray();
                    for (var j = 0; j < Math.Min(options.Classes, c); j++)
                    {
                        var index = tensor(top.Select(r => (long)r[j]).ToArray()).unsqueeze(1);      // (B, 1)
                        terms.Add(new Term(logp.gather(1, index).sum(), Enumerable.Range(0, b).Select(r => probs[r * c + top[r][j]]).ToArray()));
                    }
                    var leftOut = Enumerable.Range(0, b).Sum(r => Math.Max(0, 1 - top[r].Sum(k => (double)probs[r * c + k])));
                    return (terms, leftOut);
                }
                var chosen = rows.Select((row, r) => options.Labels == "gold" ? IndexOf(task, row) : Draw(probs.AsSpan(r * c, c), random)).ToArray();
                var pick = tensor(chosen.Select(k => (long)k).ToArray()).unsqueeze(1);                // (B, 1)
                terms.Add(new Term(logp.gather(1, pick).sum(), ones));
                return (terms, 0);
            }
        }
    }

    private static int IndexOf(TaskRecord task, Example e)
    {
        for (var k = 0; k < task.Labels.Count; k++)
            if (task.Labels[k] == e.Label) return k;
        throw new CadreException($"{e.File}:{e.Line}: label '{e.Label}' is not one of the specialist's");
    }

    private static int Draw(ReadOnlySpan<float> probs, Random random)
    {
        double total = 0;
        foreach (var p in probs) total += p;
        var u = random.NextDouble() * total;
        for (var c = 0; c < probs.Length; c++)
            if ((u -= probs[c]) <= 0) return c;
        return probs.Length - 1;
    }
}
