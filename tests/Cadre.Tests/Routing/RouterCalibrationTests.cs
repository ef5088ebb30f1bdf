using Cadre.Routing;

namespace Cadre.Tests.Routing;

/// <summary>Temperature scaling, ECE, the coverage threshold and AUROC against hand-computed cases.</summary>
public sealed class RouterCalibrationTests
{
    [Fact]
    public void FittedTemperatureRecoversTheOneThatDrewTheLabels()
    {
        var random = new Random(7);
        const double truth = 0.25;
        var logits = new List<float[]>();
        var gold = new List<int>();
        for (var i = 0; i < 5000; i++)
        {
            var z = Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var p = RouterCalibration.Softmax(z, truth);
            var u = random.NextDouble();
            var k = 0;
            for (var acc = p[0]; acc < u && k < 3; acc += p[++k]) { }
            logits.Add(z);
            gold.Add(k);
        }
        var fitted = RouterCalibration.FitTemperature(logits, gold);
        Assert.InRange(fitted, truth * 0.9, truth * 1.1);
        Assert.True(RouterCalibration.NegativeLogLikelihood(logits, gold, fitted) <= RouterCalibration.NegativeLogLikelihood(logits, gold, 1));
        var before = RouterCalibration.ExpectedCalibrationError([.. logits.Select(l => RouterCalibration.Softmax(l, 1))], gold);
        var after = RouterCalibration.ExpectedCalibrationError([.. logits.Select(l => RouterCalibration.Softmax(l, fitted))], gold);
        Assert.True(after < 0.03 && after < before, $"ECE {before} -> {after}");
    }

    [Fact]
    public void EceOfAHandMadeCase()
    {
        // Two rows at confidence 0.9 (one right, one wrong) and one at 0.6 (right): |0.5 - 0.9| * 2/3 + |1 - 0.6| * 1/3.
        double[][] p = [[0.9, 0.1], [0.9, 0.1], [0.4, 0.6]];
        Assert.Equal(0.4 * 2 / 3 + 0.4 / 3, RouterCalibration.ExpectedCalibrationError(p, [0, 1, 1]), 12);
    }

    [Fact]
    public void ThresholdKeepsTheAskedShareOfRows()
    {
        var signals = Enumerable.Range(1, 100).Select(i => (double)i).ToList();
        var t = RouterCalibration.Threshold(signals, 0.95);
        Assert.Equal(6, t);
        Assert.Equal(95, signals.Count(s => s >= t));
        Assert.Equal(double.NegativeInfinity, RouterCalibration.Threshold(signals, 1));
        Assert.Throws<CadreException>(() => RouterCalibration.Threshold(signals, 0));
    }

    [Fact]
    public void AurocIsTheShareOfCorrectlyOrderedPairsWithTiesAtOneHalf()
    {
        Assert.Equal(1.0, RouterCalibration.Auroc([3, 4], [1, 2]));
        Assert.Equal(0.0, RouterCalibration.Auroc([1, 2], [3, 4]));
        Assert.Equal(0.5, RouterCalibration.Auroc([1, 3], [2]));
        Assert.Equal(0.5, RouterCalibration.Auroc([2, 2], [2]));
        Assert.Equal(0.875, RouterCalibration.Auroc([2, 3], [2, 1]), 12); // pairs (2,2) ½, (2,1), (3,2), (3,1): 3.5 of 4
    }
}
