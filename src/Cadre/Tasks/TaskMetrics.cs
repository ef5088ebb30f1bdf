using System.Text.Json.Serialization;

namespace Cadre.Tasks;

/// <summary>Metrics of one task kind over a labelled set, with the named values a spec's <c>metric:</c> can choose.</summary>
public interface ITaskMetrics
{
    int Count { get; }

    /// <summary>The named values kept in <c>cadre.json</c> (and printed by <c>eval</c>), count included.</summary>
    IReadOnlyDictionary<string, double> Summary();
}

/// <summary>Metric names per task, and which of them are errors (lower is better).</summary>
public static class MetricNames
{
    public static readonly IReadOnlyList<string> Classification = ["accuracy", "macro_f1"];
    public static readonly IReadOnlyList<string> Multilabel = ["micro_f1", "macro_f1", "subset_accuracy"];
    public static readonly IReadOnlyList<string> Regression = ["rmse", "mae", "spearman", "pearson"];

    public static IReadOnlyList<string> For(Data.TaskKind task) => task switch
    {
        Data.TaskKind.Multilabel => Multilabel,
        Data.TaskKind.Regression => Regression,
        _ => Classification,
    };

    /// <summary>What early stopping watches when the spec names nothing: the first of the task's list.</summary>
    public static string Default(Data.TaskKind task) => For(task)[0];

    /// <summary>A value where higher is better, for choosing the best epoch (errors are negated).</summary>
    public static double Score(ITaskMetrics metrics, string name)
    {
        if (!metrics.Summary().TryGetValue(name, out var value))
            throw new CadreException($"unknown metric '{name}' for this task");
        return name is "rmse" or "mae" ? -value : value;
    }
}

/// <summary>Regression metrics: mean absolute and root-mean-square error, Spearman's and Pearson's correlation.</summary>
public sealed record RegressionMetrics(
    [property: JsonPropertyName("mae")] double Mae,
    [property: JsonPropertyName("rmse")] double Rmse,
    [property: JsonPropertyName("spearman")] double Spearman,
    [property: JsonPropertyName("pearson")] double Pearson,
    [property: JsonPropertyName("count")] int Count) : ITaskMetrics
{
    public IReadOnlyDictionary<string, double> Summary() => new Dictionary<string, double>
    {
        ["mae"] = Mae, ["rmse"] = Rmse, ["spearman"] = Spearman, ["pearson"] = Pearson, ["count"] = Count,
    };

    public static RegressionMetrics Compute(IReadOnlyList<double> gold, IReadOnlyList<double> predicted)
    {
        var n = gold.Count;
        var mae = n == 0 ? 0 : gold.Zip(predicted).Average(p => Math.Abs(p.First - p.Second));
        var rmse = n == 0 ? 0 : Math.Sqrt(gold.Zip(predicted).Average(p => (p.First - p.Second) * (p.First - p.Second)));
        return new RegressionMetrics(mae, rmse, Correlation(Ranks(gold), Ranks(predicted)), Correlation(gold, predicted), n);
    }

    /// <summary>Pearson's r; 0 when either side is constant (scipy returns NaN there, which no early stopping can use).</summary>
    public static double Correlation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count < 2) return 0;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>1-based ranks with ties given their average rank, as scipy.stats.rankdata does.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            for (var k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        return ranks;
    }
}

/// <summary>
/// Multilabel metrics at a decision threshold: subset accuracy (every label right), micro- and macro-averaged F1,
/// Hamming loss, and per-label precision, recall and F1, as scikit-learn computes them.
/// </summary>
public sealed record MultilabelMetrics(
    [property: JsonPropertyName("subset_accuracy")] double SubsetAccuracy,
    [property: JsonPropertyName("micro_f1")] double MicroF1,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("hamming_loss")] double HammingLoss,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("per_label")] IReadOnlyList<ClassScores> PerLabel) : ITaskMetrics
{
    public IReadOnlyDictionary<string, double> Summary() => new Dictionary<string, double>
    {
        ["subset_accuracy"] = SubsetAccuracy, ["micro_f1"] = MicroF1, ["macro_f1"] = MacroF1,
        ["hamming_loss"] = HammingLoss, ["count"] = Count,
    };

    /// <param name="gold">per row, whether each label applies</param>
    /// <param name="probabilities">per row, each label's independent probability</param>
    public static MultilabelMetrics Compute(IReadOnlyList<bool[]> gold, IReadOnlyList<float[]> probabilities,
                                            IReadOnlyList<string> labels, double threshold = 0.5)
    {
        var k = labels.Count;
        int[] tp = new int[k], fp = new int[k], fn = new int[k];
        int exact = 0, wrong = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            var allRight = true;
            for (var c = 0; c < k; c++)
            {
                var predicted = probabilities[i][c] >= threshold;
                if (predicted && gold[i][c]) tp[c]++;
                else if (predicted) fp[c]++;
                else if (gold[i][c]) fn[c]++;
                if (predicted != gold[i][c]) { allRight = false; wrong++; }
            }
            if (allRight) exact++;
        }
        var perLabel = Enumerable.Range(0, k).Select(c => Scores(labels[c], tp[c], fp[c], fn[c])).ToList();
        var micro = Scores("", tp.Sum(), fp.Sum(), fn.Sum()).F1;
        var n = Math.Max(1, gold.Count);
        return new MultilabelMetrics((double)exact / n, micro, k == 0 ? 0 : perLabel.Average(s => s.F1),
                                     (double)wrong / (n * (double)Math.Max(1, k)), gold.Count, perLabel);
    }

    private static ClassScores Scores(string label, int tp, int fp, int fn)
    {
        var precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
        var recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new ClassScores(label, precision, recall, f1, tp + fn);
    }
}
