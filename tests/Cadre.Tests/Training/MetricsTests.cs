using System.Text.Json;
using Cadre.Tasks;
namespace Cadre.Tests.Training;

/// <summary>Our metrics against scikit-learn's on seeded cases (tools/reference/metrics/make_golden.py).</summary>
public sealed class MetricsTests
{
    [Fact]
    public void ClassificationMetricsMatchScikitLearn()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "metrics", "classification.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var labels = c.GetProperty("labels").EnumerateArray().Select(x => x.GetString()!).ToList();
            var gold = c.GetProperty("gold").EnumerateArray().Select(x => x.GetInt32()).ToList();
            var probs = c.GetProperty("probabilities").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToList();
            var m = Metrics.Classification(gold, probs, labels);
            Assert.Equal(c.GetProperty("accuracy").GetDouble(), m.Accuracy, 9);
            Assert.Equal(c.GetProperty("macro_f1").GetDouble(), m.MacroF1, 9);
            Assert.Equal(c.GetProperty("ece").GetDouble(), m.ExpectedCalibrationError, 5);
            var f1 = c.GetProperty("f1").EnumerateArray().Select(x => x.GetDouble()).ToList();
            var support = c.GetProperty("support").EnumerateArray().Select(x => x.GetInt32()).ToList();
            for (var k = 0; k < labels.Count; k++)
            {
                Assert.Equal(f1[k], m.PerClass[k].F1, 9);
                Assert.Equal(support[k], m.PerClass[k].Support);
            }
            Assert.Equal(gold.Count, m.Confusion.Sum(row => row.Sum()));
        }
    }

    [Fact]
    public void PerfectPredictionsScoreOne()
    {
        var m = Metrics.Classification([0, 1, 1], [[0.9f, 0.1f], [0.2f, 0.8f], [0.3f, 0.7f]], ["a", "b"]);
        Assert.Equal(1, m.Accuracy);
        Assert.Equal(1, m.MacroF1);
        Assert.Equal([[1, 0], [0, 2]], m.Confusion);
    }

    private static JsonDocument Golden(string name) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "metrics", name)));

    private static List<double> Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToList();

    [Fact]
    public void MultilabelMetricsMatchScikitLearn()
    {
        using var doc = Golden("multilabel.json");
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var labels = c.GetProperty("labels").EnumerateArray().Select(x => x.GetString()!).ToList();
            var gold = c.GetProperty("gold").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32() == 1).ToArray()).ToList();
            var probs = c.GetProperty("probabilities").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToList();
            var m = MultilabelMetrics.Compute(gold, probs, labels);
            Assert.Equal(c.GetProperty("subset_accuracy").GetDouble(), m.SubsetAccuracy, 9);
            Assert.Equal(c.GetProperty("micro_f1").GetDouble(), m.MicroF1, 9);
            Assert.Equal(c.GetProperty("macro_f1").GetDouble(), m.MacroF1, 9);
            Assert.Equal(c.GetProperty("hamming_loss").GetDouble(), m.HammingLoss, 9);
            var f1 = Doubles(c.GetProperty("f1"));
            var precision = Doubles(c.GetProperty("precision"));
            for (var k = 0; k < labels.Count; k++)
            {
                Assert.Equal(f1[k], m.PerLabel[k].F1, 9);
                Assert.Equal(precision[k], m.PerLabel[k].Precision, 9);
                Assert.Equal(c.GetProperty("support")[k].GetInt32(), m.PerLabel[k].Support);
            }
        }
    }

    [Fact]
    public void RegressionMetricsMatchScikitLearnAndScipy()
    {
        using var doc = Golden("regression.json");
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var m = RegressionMetrics.Compute(Doubles(c.GetProperty("gold")), Doubles(c.GetProperty("predicted")));
            Assert.Equal(c.GetProperty("mae").GetDouble(), m.Mae, 9);
            Assert.Equal(c.GetProperty("rmse").GetDouble(), m.Rmse, 9);
            Assert.Equal(c.GetProperty("spearman").GetDouble(), m.Spearman, 9);
            Assert.Equal(c.GetProperty("pearson").GetDouble(), m.Pearson, 9);
        }
    }

    [Fact]
    public void ErrorsAreScoredSoThatLowerWins()
    {
        var good = RegressionMetrics.Compute([1, 2, 3], [1, 2, 3.5]);
        var bad = RegressionMetrics.Compute([1, 2, 3], [3, 1, 0]);
        Assert.True(MetricNames.Score(good, "rmse") > MetricNames.Score(bad, "rmse"));
        Assert.True(MetricNames.Score(good, "spearman") > MetricNames.Score(bad, "spearman"));
        Assert.Throws<CadreException>(() => MetricNames.Score(good, "accuracy"));
    }
}
