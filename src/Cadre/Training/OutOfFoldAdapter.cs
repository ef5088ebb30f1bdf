using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using Cadre.Specs;

using Cadre.Tasks;
namespace Cadre.Training;

/// <summary>
/// Out-of-fold probabilities from adapter specialists (LoRA by default): for each of k folds a fresh adapter and
/// head train through <see cref="TrainingLoop"/> on the other folds (10 % of them held out, seeded, to pick the
/// best epoch as <c>cadre train</c> does) and predict the held-out fold. k full trainings: about k × the cost of
/// one <c>cadre train</c> with this method, so minutes for a few thousand rows and hours for 100,000 on a CPU.
/// </summary>
public static class OutOfFoldAdapter
{
    public static float[][] Probabilities(ISentenceEncoder encoder, string baseName, Dataset train, IReadOnlyList<string> labels,
                                          AdapterSpec adapterSpec, TrainingSpec training, int folds, Action<string>? log = null,
                                          CancellationToken cancel = default)
    {
        var method = AdapterMethods.Get(adapterSpec.Method);
        var objective = TaskObjective.For(TaskKind.Classification, labels);
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var given = train.Examples.Select(e => index[e.Label!]).ToArray();
        var fold = OutOfFold.Folds(given, folds, training.Seed);
        var result = new float[train.Count][];
        for (var f = 0; f < folds; f++)
        {
            cancel.ThrowIfCancellationRequested();
            var held = Enumerable.Range(0, train.Count).Where(i => fold[i] == f).ToArray();
            if (held.Length == 0) continue;
            var rest = train with { Examples = Enumerable.Range(0, train.Count).Where(i => fold[i] != f).Select(i => train.Examples[i]).ToList() };
            var (fit, validation) = Splits.Stratified(rest, 0.1, training.Seed + f);
            log?.Invoke($"fold {f + 1}/{folds}: {adapterSpec.Method} on {fit.Count} rows, predicting {held.Length}");
            using var adapter = method.Create(encoder, adapterSpec, training.Seed + f, baseName);
            var texts = fit.Examples.Select(e => e.Text).ToList();
            var source = new AdapterFeatures(encoder, adapter, texts, training.MaxLength, training.BatchSize * 2);
            using var head = new ClassifierHead(encoder.Dimension, labels.Count, training.Seed + f);
            using (var sample = AdapterFeatures.Embed(encoder, adapter, texts.Take(512).ToList(), training.MaxLength))
                head.Standardize(sample);
            var rate = training.LearningRateFor(adapterSpec.Method);
            TrainingLoop.Run(source, head, new LoopInputs(objective, fit.Examples, texts.Select(encoder.CountTokens).ToArray(), validation,
                                                          training, rate, "accuracy")
            { HeadLearningRate = training.HeadLearningRateFor(adapterSpec.Method) }, cancel);
            var heldSet = train with { Examples = held.Select(i => train.Examples[i]).ToList() };
            using var x = source.Evaluate(heldSet); // (M, D)
            var rows = objective.Rows(head, x);
            for (var k = 0; k < held.Length; k++) result[held[k]] = rows[k];
        }
        return result;
    }
}
