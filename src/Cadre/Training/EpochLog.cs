namespace Cadre.Training;

/// <summary>One epoch as the progress line shows it.</summary>
public sealed record EpochLog(
    [property: System.Text.Json.Serialization.JsonPropertyName("epoch")] int Epoch,
    [property: System.Text.Json.Serialization.JsonPropertyName("loss")] double Loss,
    [property: System.Text.Json.Serialization.JsonPropertyName("metric")] double Metric,
    [property: System.Text.Json.Serialization.JsonPropertyName("examples_per_second")] double ExamplesPerSecond);
