using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>One epoch as the progress line shows it.</summary>
public sealed record EpochLog(
    [property: System.Text.Json.Serialization.JsonPropertyName("epoch")] int Epoch,
    [property: System.Text.Json.Serialization.JsonPropertyName("loss")] double Loss,
    [property: System.Text.Json.Serialization.JsonPropertyName("metric")] double Metric,
    [property: System.Text.Json.Serialization.JsonPropertyName("examples_per_second")] double ExamplesPerSecond);

/// <summary>
/// What every method's head needs around training: class probabilities, metrics over a data set.
/// </summary>
public static class Heads
{
    /// <summary>Class probabilities (B, C) for features (B, D); the caller owns the result.</summary>
    public static Tensor Probabilities(ClassifierHead head, Tensor features)
    {
        using var _ = no_grad();
        head.eval();
        return nn.functional.softmax(head.forward(features), -1);
    }

    public static ClassificationMetrics Evaluate(ClassifierHead head, Tensor features, IReadOnlyList<int> gold, IReadOnlyList<string> labels)
    {
        using var scope = NewDisposeScope();
        var p = Probabilities(head, features);               // (M, C)
        var flat = p.data<float>().ToArray();
        var c = (int)p.shape[1];
        var rows = Enumerable.Range(0, gold.Count).Select(i => flat.AsSpan(i * c, c).ToArray()).ToList();
        return Metrics.Classification(gold, rows, labels);
    }
}
