using Cadre.Specialists;

namespace Cadre.Routing;

/// <summary>A text's route and, unless the router abstained, the chosen specialist's prediction.</summary>
public sealed record Answer(RouteDecision Route, Prediction? Prediction);

/// <summary>
/// <c>cadre ask</c>: route every text, then predict with each chosen specialist once for all of its texts (one
/// specialist loaded at a time, so memory stays one base plus one adapter beside the router's base).
/// </summary>
public static class RoutedPrediction
{
    /// <param name="force">answer with the top-scoring specialist even where the router abstains</param>
    public static IReadOnlyList<Answer> Ask(string home, SpecialistRouter router, IReadOnlyList<string> texts, bool force = false)
    {
        var decisions = router.Route(texts);
        var predictions = new Prediction?[texts.Count];
        var chosen = decisions.Select((d, i) => (Name: force ? d.Best : d.Specialist, Index: i)).Where(p => p.Name is not null);
        foreach (var group in chosen.GroupBy(p => p.Name!, StringComparer.Ordinal))
        {
            using var model = SpecialistModel.Load(home, group.Key);
            var rows = group.Select(p => p.Index).ToList();
            var answers = model.Predict([.. rows.Select(i => texts[i])]);
            for (var k = 0; k < rows.Count; k++)
                predictions[rows[k]] = answers[k];
        }
        return [.. decisions.Select((d, i) => new Answer(force && d.Abstained ? d with { Specialist = d.Best } : d, predictions[i]))];
    }
}
