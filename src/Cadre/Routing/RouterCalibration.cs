namespace Cadre.Routing;

/// <summary>
/// Turning a router's logits into trustworthy probabilities and an abstention rule, the same for every router:
/// a temperature fitted on held-out rows by minimizing their negative log-likelihood (Guo et al. 2017; one
/// parameter, so it cannot change which specialist wins), ECE with 15 equal-width bins, and a threshold on the
/// abstention signal at a target coverage: the (1 − coverage) quantile of the held-out in-scope rows' signal, so
/// about that share of inputs like the registered data are answered and the rest abstain.
/// </summary>
public static class RouterCalibration
{
    /// <summary>Softmax of logits / T per row.</summary>
    public static double[] Softmax(float[] logits, double temperature)
    {
        var max = logits.Max();
        var e = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    /// <summary>Mean negative log-likelihood of the gold specialists at temperature T.</summary>
    public static double NegativeLogLikelihood(IReadOnlyList<float[]> logits, IReadOnlyList<int> gold, double temperature)
    {
        double total = 0;
        for (var i = 0; i < logits.Count; i++)
        {
            var row = logits[i];
            var max = row.Max();
            var log = Math.Log(row.Sum(l => Math.Exp((l - max) / temperature)));
            total += log - (row[gold[i]] - max) / temperature;
        }
        return total / Math.Max(1, logits.Count);
    }

    /// <summary>The temperature in [1e-3, 1e3] that minimizes held-out NLL: golden-section search on log T (NLL is unimodal in it).</summary>
    public static double FitTemperature(IReadOnlyList<float[]> logits, IReadOnlyList<int> gold)
    {
        if (logits.Count == 0 || logits[0].Length < 2) return 1;
        double F(double logT) => NegativeLogLikelihood(logits, gold, Math.Exp(logT));
        var (a, b) = (Math.Log(1e-3), Math.Log(1e3));
        var phi = (Math.Sqrt(5) - 1) / 2;
        var c = b - phi * (b - a);
        var d = a + phi * (b - a);
        var (fc, fd) = (F(c), F(d));
        for (var i = 0; i < 80 && b - a > 1e-6; i++)
        {
            if (fc < fd) { b = d; d = c; fd = fc; c = b - phi * (b - a); fc = F(c); }
            else { a = c; c = d; fc = fd; d = a + phi * (b - a); fd = F(d); }
        }
        return Math.Exp((a + b) / 2);
    }

    /// <summary>Expected calibration error of the top probability, 15 equal-width bins (as the specialists' ECE).</summary>
    public static double ExpectedCalibrationError(IReadOnlyList<double[]> probabilities, IReadOnlyList<int> gold, int bins = 15)
    {
        var count = new int[bins];
        var confidence = new double[bins];
        var correct = new double[bins];
        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = probabilities[i];
            var top = ArgMax(p);
            var b = Math.Min(bins - 1, (int)(p[top] * bins));
            count[b]++;
            confidence[b] += p[top];
            correct[b] += top == gold[i] ? 1 : 0;
        }
        var n = Math.Max(1, probabilities.Count);
        return Enumerable.Range(0, bins).Sum(b => count[b] == 0 ? 0 : count[b] / (double)n * Math.Abs(correct[b] / count[b] - confidence[b] / count[b]));
    }

    /// <summary>The threshold that keeps <paramref name="coverage"/> of <paramref name="signals"/> at or above it (lower empirical quantile).</summary>
    public static double Threshold(IReadOnlyList<double> signals, double coverage)
    {
        if (coverage is <= 0 or > 1)
            throw new CadreException($"coverage: must be in (0, 1], got {coverage}");
        if (signals.Count == 0 || coverage >= 1) return double.NegativeInfinity;
        var sorted = signals.Order().ToArray();
        var drop = (int)Math.Floor((1 - coverage) * sorted.Length); // rows allowed below the threshold
        return sorted[Math.Min(drop, sorted.Length - 1)];
    }

    /// <summary>
    /// Area under the ROC curve for telling <paramref name="positives"/> (in scope, higher signal) from
    /// <paramref name="negatives"/>: the Mann-Whitney statistic, ties counting one half.
    /// </summary>
    public static double Auroc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0) return double.NaN;
        var all = positives.Select(v => (v, pos: true)).Concat(negatives.Select(v => (v, pos: false))).OrderBy(p => p.v).ToArray();
        double rankSum = 0;
        for (var i = 0; i < all.Length;)
        {
            var j = i;
            while (j < all.Length && all[j].v == all[i].v) j++;
            var midRank = (i + 1 + j) / 2.0; // ranks i+1..j share their mean
            for (var k = i; k < j; k++)
                if (all[k].pos) rankSum += midRank;
            i = j;
        }
        var (np, nn) = ((double)positives.Count, (double)negatives.Count);
        return (rankSum - np * (np + 1) / 2) / (np * nn);
    }

    public static int ArgMax(IReadOnlyList<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
