using System.Diagnostics;
using Cadre.Data;
using Cadre.Models;
using Cadre.Training.Spec;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>One epoch as the progress line shows it.</summary>
public sealed record EpochLog(int Epoch, double Loss, double Metric, double ExamplesPerSecond);

/// <summary>A trained head, the epoch it comes from, and how training went. The caller owns <see cref="Head"/>.</summary>
public sealed record HeadTrainingResult(ClassifierHead Head, int BestEpoch, ClassificationMetrics Validation,
                                        IReadOnlyList<EpochLog> Epochs, double Seconds, double ExamplesPerSecond);

/// <summary>
/// Trains the <c>head</c> method: the base stays frozen and runs once per text (its embeddings are cached), then a
/// standardized linear head learns with AdamW, linear warm-up and decay, gradient clipping, seeded shuffling, and
/// early stopping on the validation metric that keeps the best epoch. One dispose scope per step.
/// </summary>
public static class HeadTrainer
{
    public static HeadTrainingResult Train(ISentenceEncoder encoder, Dataset train, Dataset validation,
                                           IReadOnlyList<string> labels, TrainingSpec spec,
                                           Action<EpochLog>? onEpoch = null, CancellationToken cancel = default)
    {
        if (train.Task != TaskKind.Classification)
            throw new CadreException($"{train.File}: {train.Task} training is not available yet; classification is");
        var watch = Stopwatch.StartNew();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        int[] Gold(Dataset d) => d.Examples.Select(e => index.TryGetValue(e.Label!, out var i) ? i
            : throw new CadreException($"{e.File}:{e.Line}: label '{e.Label}' does not occur in the training data")).ToArray();
        var trainGold = Gold(train);
        var validationGold = Gold(validation);

        using var trainX = Features(encoder, train);           // (N, D)
        using var validationX = Features(encoder, validation); // (M, D)
        using var trainY = tensor(trainGold.Select(i => (long)i).ToArray());
        var head = new ClassifierHead(trainX.shape[1], labels.Count, spec.Seed);
        try
        {
            head.Standardize(trainX);
            var parameters = head.parameters().ToList();
            using var optimizer = optim.AdamW(parameters, spec.LearningRate, weight_decay: spec.WeightDecay);
            var n = trainGold.Length;
            var stepsPerEpoch = (n + spec.BatchSize - 1) / spec.BatchSize;
            var totalSteps = Math.Max(1, stepsPerEpoch * spec.Epochs);
            var warmup = (int)(spec.WarmupRatio * totalSteps);
            var random = new Random(spec.Seed);
            var epochs = new List<EpochLog>();
            Dictionary<string, Tensor>? best = null;
            var bestMetric = double.NegativeInfinity;
            var bestEpoch = 0;
            var step = 0;
            for (var epoch = 1; epoch <= spec.Epochs; epoch++)
            {
                var epochWatch = Stopwatch.StartNew();
                var order = Enumerable.Range(0, n).ToArray();
                random.Shuffle(order);
                double lossSum = 0;
                head.train();
                for (var start = 0; start < n; start += spec.BatchSize)
                {
                    cancel.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    foreach (var group in optimizer.ParamGroups)
                        group.LearningRate = Schedule(spec.LearningRate, step++, warmup, totalSteps);
                    var rows = tensor(order.Skip(start).Take(spec.BatchSize).Select(i => (long)i).ToArray());
                    var logits = head.forward(trainX.index_select(0, rows));          // (B, C)
                    var loss = nn.functional.cross_entropy(logits, trainY.index_select(0, rows));
                    optimizer.zero_grad();
                    loss.backward();
                    nn.utils.clip_grad_norm_(parameters, spec.GradientClip);
                    optimizer.step();
                    lossSum += loss.item<float>() * rows.shape[0];
                }
                var metrics = Evaluate(head, validationX, validationGold, labels);
                var value = metrics.Get(spec.Metric);
                var log = new EpochLog(epoch, lossSum / n, value, n / epochWatch.Elapsed.TotalSeconds);
                epochs.Add(log);
                onEpoch?.Invoke(log);
                if (value > bestMetric)
                {
                    bestMetric = value;
                    bestEpoch = epoch;
                    Dispose(best);
                    best = head.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
                }
                else if (spec.EarlyStopping > 0 && epoch - bestEpoch >= spec.EarlyStopping)
                    break;
            }
            using (no_grad())
                foreach (var (key, value) in head.state_dict())
                    value.copy_(best![key]);
            Dispose(best);
            var validationMetrics = Evaluate(head, validationX, validationGold, labels);
            var seconds = watch.Elapsed.TotalSeconds;
            return new HeadTrainingResult(head, bestEpoch, validationMetrics, epochs, seconds,
                                          n * epochs.Count / Math.Max(1e-9, epochs.Sum(e => n / e.ExamplesPerSecond)));
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>Linear warm-up to the peak, then linear decay to zero.</summary>
    public static double Schedule(double peak, int step, int warmup, int total) =>
        step < warmup ? peak * (step + 1) / warmup : peak * Math.Max(0, total - step) / Math.Max(1, total - warmup);

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

    /// <summary>The frozen base's embeddings of a data set as one (N, D) tensor that the caller owns.</summary>
    public static Tensor Features(ISentenceEncoder encoder, Dataset data)
    {
        var vectors = encoder.Embed(data.Examples.Select(e => e.Text).ToList());
        var d = encoder.Dimension;
        var flat = new float[vectors.Length * d];
        for (var i = 0; i < vectors.Length; i++)
            vectors[i].CopyTo(flat, i * d);
        return tensor(flat, [vectors.Length, d]);
    }

    private static void Dispose(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }
}
