using System.Text.Json.Serialization;

namespace Cadre.Tasks;

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassScores(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] int Support);

/// <summary>Classification metrics over a labelled set; <c>confusion[i][j]</c> counts gold i predicted as j.</summary>
public sealed record ClassificationMetrics(
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("ece")] double ExpectedCalibrationError,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("per_class")] IReadOnlyList<ClassScores> PerClass,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels,
    [property: JsonPropertyName("confusion")] IReadOnlyList<int[]> Confusion) : ITaskMetrics
{
    public IReadOnlyDictionary<string, double> Summary() => new Dictionary<string, double>
    {
        ["accuracy"] = Accuracy, ["macro_f1"] = MacroF1, ["ece"] = ExpectedCalibrationError, ["count"] = Count,
    };
}

public static class Metrics
{
    /// <param name="gold">gold class index per row</param>
    /// <param name="probabilities">class probabilities per row (rows sum to 1)</param>
    /// <param name="bins">calibration bins for ECE (equal-width on confidence, as Guo et al. 2017)</param>
    public static ClassificationMetrics Classification(IReadOnlyList<int> gold, IReadOnlyList<float[]> probabilities,
                                                       IReadOnlyList<string> labels, int bins = 15)
    {
        var k = labels.Count;
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        var binCount = new int[bins];
        var binConfidence = new double[bins];
        var binCorrect = new double[bins];
        var correct = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            var p = probabilities[i];
            var predicted = ArgMax(p);
            confusion[gold[i]][predicted]++;
            if (predicted == gold[i]) correct++;
            var b = Math.Min(bins - 1, (int)(p[predicted] * bins));
            binCount[b]++;
            binConfidence[b] += p[predicted];
            binCorrect[b] += predicted == gold[i] ? 1 : 0;
        }
        var perClass = new List<ClassScores>();
        for (var c = 0; c < k; c++)
        {
            var tp = confusion[c][c];
            var predictedC = confusion.Sum(row => row[c]);
            var support = confusion[c].Sum();
            var precision = predictedC == 0 ? 0 : (double)tp / predictedC;
            var recall = support == 0 ? 0 : (double)tp / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassScores(labels[c], precision, recall, f1, support));
        }
        var n = Math.Max(1, gold.Count);
        var ece = Enumerable.Range(0, bins).Sum(b => binCount[b] == 0 ? 0
            : binCount[b] / (double)n * Math.Abs(binCorrect[b] / binCount[b] - binConfidence[b] / binCount[b]));
        // Macro-F1 over classes present in gold or predictions, as scikit-learn does with its default labels.
        var present = perClass.Where((c, i) => c.Support > 0 || confusion.Any(row => row[i] > 0)).ToList();
        var macro = present.Count == 0 ? 0 : present.Average(c => c.F1);
        return new ClassificationMetrics((double)correct / n, macro, ece, gold.Count, perClass, labels, confusion);
    }

    public static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
