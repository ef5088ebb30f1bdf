using Cadre.Routing;
using Cadre.Serving;
using Cadre.Specialists;

namespace Cadre.Server.Contracts;

/// <summary>The service's records to the answers' shapes. JSON has no NaN or infinity: such numbers become null or 0.</summary>
internal static class Mapping
{
    public static PredictionDto Prediction(Prediction p) =>
        new(p.Label, p.Labels, Finite(p.Value), Scores(p.Probabilities));

    public static TaskPredictionsDto Task(TaskPredictions t) =>
        new(t.Task.Name, t.Task.Kind.ToString().ToLowerInvariant(), [.. t.Predictions.Select(Prediction)]);

    public static RouteDto Route(RouteDecision d) =>
        new(d.Specialist, d.Abstained, d.Best, Finite(d.Confidence) ?? 0, Finite(d.Signal) ?? 0, Finite(d.Threshold), Scores(d.Scores));

    public static AnswerDto Answer(Answer a) => new(Route(a.Route), a.Prediction is { } p ? Prediction(p) : null);

    public static SpecialistDto Specialist(SpecialistStatus s) =>
        new(s.Name, s.Method, s.Base, s.Tasks, s.Version, s.VersionId, s.LoadedVersion, s.Hot, s.Requests, s.Inputs, s.AdapterBytes,
            s.Metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal));

    public static SpecialistDetailResponse Detail(SpecialistDetail d) =>
        new(Specialist(d.Status), d.Labels, [.. d.Versions.Select(v => new VersionDto(v.Number, v.Id, v.Message, v.CreatedAt, v.Tags))],
            d.Lineage is { } l ? new LineageDto(l.Method, l.Inputs) : null);

    public static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    private static Dictionary<string, double> Scores(IReadOnlyDictionary<string, double> scores) =>
        scores.ToDictionary(p => p.Key, p => double.IsFinite(p.Value) ? p.Value : 0, StringComparer.Ordinal);
}
