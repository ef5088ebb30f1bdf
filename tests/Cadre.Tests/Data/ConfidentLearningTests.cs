using System.Text.Json;
using Cadre.Data.Quality;

namespace Cadre.Tests.Data;

/// <summary>Confident learning against the numpy restatement (tools/reference/cleanlab/confident_learning.py).</summary>
public sealed class ConfidentLearningTests
{
    [Fact]
    public void LabelIssuesMatchTheNumpyReference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "cleanlab", "label_issues.json")));
        var cases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var k = c.GetProperty("classes").GetInt32();
            var labels = c.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToList();
            var probs = c.GetProperty("probabilities").EnumerateArray()
                .Select(r => r.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray()).ToList();
            var result = ConfidentLearning.FindIssues(labels, probs, k);

            var thresholds = c.GetProperty("thresholds").EnumerateArray().Select(x => x.GetDouble()).ToList();
            for (var j = 0; j < k; j++)
                Assert.Equal(thresholds[j], result.Thresholds[j], 9);
            var joint = c.GetProperty("confident_joint").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToList();
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++)
                    Assert.Equal(joint[i][j], result.ConfidentJoint[i, j]);
            Assert.Equal(c.GetProperty("issues").EnumerateArray().Select(x => x.GetInt32()), result.Issues.Select(x => x.Row));
            Assert.Equal(c.GetProperty("suggested").EnumerateArray().Select(x => x.GetInt32()), result.Issues.Select(x => x.Suggested));
            Assert.All(result.Issues, x => Assert.Equal(probs[x.Row][labels[x.Row]], x.SelfConfidence, 6));
            cases++;
        }
        Assert.Equal(4, cases);
    }

    [Fact]
    public void ConfidentJointRowsSumToTheLabelCounts()
    {
        var labels = new[] { 0, 0, 0, 1, 1, 2, 2, 2, 2 };
        float[][] p = [[.9f, .05f, .05f], [.8f, .1f, .1f], [.1f, .8f, .1f], [.2f, .7f, .1f], [.6f, .3f, .1f],
                       [.1f, .1f, .8f], [.2f, .1f, .7f], [.1f, .2f, .7f], [.7f, .2f, .1f]];
        var result = ConfidentLearning.FindIssues(labels, p, 3);
        for (var i = 0; i < 3; i++)
            Assert.Equal(labels.Count(l => l == i), Enumerable.Range(0, 3).Sum(j => result.ConfidentJoint[i, j]));
        // Row 2 (labelled 0, p = .8 for class 1), row 4 (labelled 1, .6 for 0) and row 8 (labelled 2, .7 for 0) are
        // the flips; the lowest self-confidence comes first.
        Assert.Equal([2, 8, 4], result.Issues.Select(x => x.Row)); // rows 2 and 8 tie at 0.1: by row
        Assert.Equal([1, 0, 0], result.Issues.Select(x => x.Suggested));
    }

    [Fact]
    public void RoundingKeepsTheSum()
    {
        // 1 + 1 + 2 = 4 but the sum is 3: the value rounded up the most (the first, by index) gives one back.
        Assert.Equal([0, 1, 2], ConfidentLearning.RoundPreservingSum([0.6, 0.6, 1.8]));
        Assert.Equal([1, 2, 2, 0], ConfidentLearning.RoundPreservingSum([1.5, 1.5, 1.5, 0.5])); // halves round to even
        Assert.Equal([3, 2], ConfidentLearning.RoundPreservingSum([2.6, 2.4]));
    }

    [Fact]
    public void OneClassIsRefused() =>
        Assert.Throws<CadreException>(() => ConfidentLearning.FindIssues([0, 0], [[1f], [1f]], 1));
}
