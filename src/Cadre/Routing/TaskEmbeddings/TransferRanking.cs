using Cadre.Data;
using Cadre.Models;
using Cadre.Specialists;

namespace Cadre.Routing.TaskEmbeddings;

/// <summary>
/// One existing specialist as a starting point for a new task: the Task2Vec distance between the two tasks' Fisher
/// embeddings, the data distance (MMD) between their inputs, the rank by each, and the overall rank (the mean of
/// the two ranks, ties broken by the Task2Vec distance). Rank 1 is the expected best transfer.
/// </summary>
public sealed record TransferCandidate(string Specialist, double Task2VecDistance, double DataDistance, int Task2VecRank, int DataRank, int Rank);

/// <summary>
/// <c>cadre route rank</c>: given a few labelled examples of a new task, ranks the stored specialists by expected
/// transfer. Both signals come from the frozen base only, so the ranking costs one base pass over the examples and
/// never loads an adapter: the task embedding (<see cref="FisherTaskEmbedding"/>) says whether the two tasks use
/// the base's features alike, the data distance (<see cref="DataSimilarity"/>) whether their inputs look alike.
/// </summary>
public static class TransferRanking
{
    /// <summary>Ranks the specialists (default: every stored one) for the labelled examples of <paramref name="task"/>.</summary>
    public static IReadOnlyList<TransferCandidate> Rank(string home, Dataset task, IReadOnlyList<string>? specialists = null)
    {
        if (task.Count < 2)
            throw new CadreException($"{task.File}: a task embedding needs at least 2 labelled examples, got {task.Count}");
        if (task.Task == TaskKind.Classification && task.Examples.Select(e => e.Label).Distinct().Count() < 2)
            throw new CadreException($"{task.File}: the examples carry one label only; a task needs at least two");
        var catalog = new SpecialistCatalog(home);
        var records = specialists?.Select(n => catalog.Get(n)).ToList() ?? [.. catalog.List().Where(r => r.Spec is not null)]; // merged specialists rank through their inputs
        if (records.Count == 0)
            throw new CadreException("no specialists to rank; train some with cadre train");
        var bases = records.Select(r => r.Base.ContentHash).Distinct().ToList();
        if (bases.Count > 1)
            throw new CadreException("ranking compares specialists of one base; pass --specialists of a single base");
        ISentenceEncoder? encoder = null;
        try
        {
            ISentenceEncoder Encoder() => encoder ??= RouterBuilder.LoadBase(home, records[0].Base);
            var labels = task.Task == TaskKind.Regression ? [] : task.Labels;
            var query = RoutingSample.Compute("query", Encoder(), task, labels, records.Max(r => r.Contract.MaxLength), seed: 1, rows: RoutingSample.DefaultRows);
            var candidates = records.Select(r => RoutingSamples.For(home, r, Encoder)).ToList();
            return Rank(query, candidates);
        }
        finally
        {
            encoder?.Dispose();
        }
    }

    /// <summary>Ranks <paramref name="candidates"/> (the specialists' routing samples) for <paramref name="query"/>.</summary>
    public static IReadOnlyList<TransferCandidate> Rank(RoutingSample query, IReadOnlyList<RoutingSample> candidates)
    {
        var reference = FisherTaskEmbedding.ReferenceMean(candidates.Append(query));
        var mine = FisherTaskEmbedding.Compute(query, reference);
        var bandwidth = DataSimilarity.Bandwidth(query);
        var scored = candidates.Select(c => (c.Specialist,
                                             Task: FisherTaskEmbedding.Distance(mine, FisherTaskEmbedding.Compute(c, reference)),
                                             Data: DataSimilarity.Mmd(query, c, bandwidth))).ToList();
        var taskRank = Ranks(scored.Select(s => s.Task).ToList());
        var dataRank = Ranks(scored.Select(s => s.Data).ToList());
        var order = Enumerable.Range(0, scored.Count)
            .OrderBy(i => taskRank[i] + dataRank[i]).ThenBy(i => scored[i].Task).ThenBy(i => scored[i].Specialist, StringComparer.Ordinal).ToList();
        return [.. order.Select((i, k) => new TransferCandidate(scored[i].Specialist, scored[i].Task, scored[i].Data, taskRank[i], dataRank[i], k + 1))];
    }

    /// <summary>1-based ranks, smallest value first (ties take the same, lower rank).</summary>
    private static int[] Ranks(IReadOnlyList<double> values) =>
        [.. values.Select(v => 1 + values.Count(w => w < v))];
}
