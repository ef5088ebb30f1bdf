using Cadre.Data;
using Cadre.Models;
using Cadre.Routing;
using Cadre.Routing.TaskEmbeddings;
using Cadre.Specialists;
using Cadre.Tasks;
using static TorchSharp.torch;

namespace Cadre.Suites;

/// <summary>
/// Checks that <see cref="TransferRanking"/> means something: for a new task, a seeded stratified sample of
/// <c>shots</c> labelled rows is all the ranking sees; then, as ground truth, a fresh head is trained on the same
/// shots over each specialist's own features (its adapter attached, frozen) and scored on other rows of the task.
/// Agreement is Spearman's rank correlation between the ranking and the measured accuracies.
/// </summary>
public static class TransferExperiment
{
    public static TransferResult Run(TransferProbe probe, ISentenceEncoder baseEncoder, int maxLength, IReadOnlyList<RoutingSample> candidates,
                                     IReadOnlyDictionary<string, SpecialistModel> models, int seed)
    {
        var data = DatasetReader.Read(probe.Data.Source, skipInvalid: true);
        if (data.Count < probe.Shots + 2)
            throw new CadreException($"transfer probe '{probe.Name}': {data.Count} rows, fewer than shots + 2");
        var (rest, shots) = Splits.Stratified(data, Math.Min(0.99, probe.Shots / (double)data.Count), seed);
        var evaluation = rest.Count > probe.Data.Rows ? Splits.Stratified(rest, probe.Data.Rows / (double)rest.Count, seed + 1).Validation : rest;
        var labels = shots.Examples.Select(e => e.Label!).Distinct().Order(StringComparer.Ordinal).ToList();
        evaluation = evaluation with { Examples = [.. evaluation.Examples.Where(e => labels.Contains(e.Label!))] };
        var query = RoutingSample.Compute(probe.Name, baseEncoder, shots with { Labels = labels }, labels, maxLength, seed, shots.Count);
        var ranking = TransferRanking.Rank(query, candidates);

        var shotTexts = shots.Examples.Select(e => e.Text).ToList();
        var evalTexts = evaluation.Examples.Select(e => e.Text).ToList();
        int[] Gold(Dataset d) => [.. d.Examples.Select(e => labels.IndexOf(e.Label!))];
        var measured = new Dictionary<string, double>();
        foreach (var c in candidates)
        {
            using var scope = NewDisposeScope();
            var model = models[c.Specialist];
            measured[c.Specialist] = FewShotAccuracy(model.Features(shotTexts), Gold(shots), model.Features(evalTexts), Gold(evaluation), labels.Count, seed);
        }
        double baseOnly;
        using (var scope = NewDisposeScope())
            baseOnly = FewShotAccuracy(AdapterFeatures.Embed(baseEncoder, null, shotTexts, maxLength), Gold(shots),
                                       AdapterFeatures.Embed(baseEncoder, null, evalTexts, maxLength), Gold(evaluation), labels.Count, seed);
        var predictedRank = ranking.ToDictionary(r => r.Specialist, r => (double)r.Rank);
        var names = candidates.Select(c => c.Specialist).ToList();
        // Rank 1 should be the highest accuracy: correlate ranks with negated accuracies.
        var spearman = RegressionMetrics.Compute([.. names.Select(n => predictedRank[n])], [.. names.Select(n => -measured[n])]).Spearman;
        return new TransferResult(probe.Name, shots.Count, evaluation.Count, probe.Expect, ranking, measured, baseOnly, spearman);
    }

    /// <summary>A fresh standardized linear head fitted on (X, y) full batch (AdamW 1e-2, 200 steps, seeded), scored on (X', y').</summary>
    public static double FewShotAccuracy(Tensor trainX, int[] trainY, Tensor testX, int[] testY, int classes, int seed)
    {
        using var scope = NewDisposeScope();
        using var head = new ClassifierHead(trainX.shape[1], classes, seed);
        head.Standardize(trainX);
        var gold = tensor(trainY.Select(y => (long)y).ToArray());
        using var optimizer = optim.AdamW(head.parameters(), 1e-2, weight_decay: 1e-2);
        head.train();
        for (var step = 0; step < 200; step++)
        {
            using var stepScope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(head.forward(trainX.detach()), gold); // (N, C) against (N)
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        head.eval();
        using var _ = no_grad();
        var predicted = head.forward(testX).argmax(1).data<long>().ToArray();
        return testY.Length == 0 ? double.NaN : predicted.Where((p, i) => p == testY[i]).Count() / (double)testY.Length;
    }
}
