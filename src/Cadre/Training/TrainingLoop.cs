using System.Diagnostics;
using System.Globalization;
using Cadre.Training.Spec;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>Progress inside an epoch, for a progress bar.</summary>
public sealed record StepProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double ExamplesPerSecond);

/// <summary>The best epoch's validation metrics and how the run went; the head and source hold the best weights.</summary>
public sealed record LoopResult(int BestEpoch, ITaskMetrics Validation, IReadOnlyList<EpochLog> Epochs,
                                double Seconds, double ExamplesPerSecond, bool Resumed);

/// <summary>
/// What a training run needs besides the model: the task's objective, the training rows (in the feature source's
/// order) with their token counts, the validation set, the metric that picks the best epoch, and where to report.
/// </summary>
public sealed record LoopInputs(
    TaskObjective Objective, IReadOnlyList<Data.Example> Train, IReadOnlyList<int> TrainLengths, Data.Dataset Validation,
    TrainingSpec Spec, double LearningRate, string Metric)
{
    /// <summary>The head's peak learning rate (its own parameter group); default the method's.</summary>
    public double HeadLearningRate { get; init; } = LearningRate;
    public Action<EpochLog>? OnEpoch { get; init; }
    public Action<StepProgress>? OnStep { get; init; }
    /// <summary>Hears examples done of the whole run (epochs × rows) after each step, with the epoch as its part.</summary>
    public IProgress<Util.ProgressUpdate>? Progress { get; init; }
    public TrainingCheckpoint? Checkpoint { get; init; }
    /// <summary>Identifies the spec and data; a checkpoint with another fingerprint is not resumed.</summary>
    public string Fingerprint { get; init; } = "";
    public bool Resume { get; init; }
    /// <summary>
    /// Leave the last checkpoint when the run finishes: the caller deletes it once it has stored the result, and
    /// saves the finished run there (<see cref="TrainingLoop.SaveFinished"/>) when it could not.
    /// </summary>
    public bool KeepCheckpoint { get; init; }
}

/// <summary>
/// The one training loop of every method: AdamW over the head and the source's trainable tensors, linear warm-up
/// and decay, gradient clipping, length-bucketed batches, one dispose scope per step, validation after each epoch,
/// early stopping that keeps the best epoch, and a checkpoint after each epoch and on cancellation (Ctrl-C) that
/// <see cref="LoopInputs.Resume"/> continues exactly where it stopped.
/// </summary>
public static class TrainingLoop
{
    public static LoopResult Run(IFeatureSource source, ClassifierHead head, LoopInputs input, CancellationToken cancel)
    {
        var spec = input.Spec;
        var watch = Stopwatch.StartNew();
        var parameters = head.parameters().Concat(source.Parameters).ToList();
        // Two groups: the fresh head at its own rate, the adapter (or base) at the method's.
        var peaks = new[] { input.HeadLearningRate, input.LearningRate };
        using var optimizer = optim.AdamW(new[]
        {
            new TorchSharp.Modules.AdamW.ParamGroup(head.parameters(), lr: peaks[0], weight_decay: spec.WeightDecay),
            new TorchSharp.Modules.AdamW.ParamGroup(source.Parameters, lr: peaks[1], weight_decay: spec.WeightDecay),
        }.Where(g => g.Parameters.Any()), input.LearningRate, weight_decay: spec.WeightDecay);
        var n = input.Train.Count;
        using var gold = input.Objective.Gold(input.Train); // (N) or (N, C)
        var batchesPerEpoch = (n + spec.BatchSize - 1) / spec.BatchSize;
        var totalSteps = Math.Max(1, batchesPerEpoch * spec.Epochs);
        var warmup = (int)(spec.WarmupRatio * totalSteps);

        var state = new CheckpointState { Fingerprint = input.Fingerprint, Epoch = 1 };
        Dictionary<string, Tensor>? best = null;
        var resumed = false;
        if (input.Resume && input.Checkpoint is { Exists: true } saved)
        {
            state = saved.ReadState();
            if (state.Fingerprint != input.Fingerprint)
                throw new CadreException($"{saved.Folder}: the checkpoint belongs to another spec or data; train without --resume to start over");
            using var current = new TensorSet(saved.ReadTensors("current")!);
            Restore(source, head, current.Tensors);
            best = saved.ReadTensors("best");
            saved.LoadOptimizer(optimizer);
            resumed = true;
        }

        var epochs = state.Epochs.ToList();
        var step = state.Step;
        try
        {
            for (var epoch = state.Epoch; epoch <= spec.Epochs; epoch++)
            {
                var plan = BatchPlan.Create(input.TrainLengths, spec.BatchSize, spec.Seed, epoch);
                var first = epoch == state.Epoch ? state.BatchesDone : 0;
                double lossSum = epoch == state.Epoch ? state.LossSum : 0;
                var seen = epoch == state.Epoch ? state.Seen : 0;
                var epochWatch = Stopwatch.StartNew();
                var seenHere = 0;
                head.train();
                for (var b = first; b < plan.Count; b++)
                {
                    if (cancel.IsCancellationRequested)
                    {
                        SaveCheckpoint(input, source, head, best, optimizer, state with
                        {
                            Epoch = epoch, BatchesDone = b, Step = step, LossSum = lossSum, Seen = seen, Epochs = epochs,
                            Seconds = state.Seconds + watch.Elapsed.TotalSeconds,
                        });
                        cancel.ThrowIfCancellationRequested();
                    }
                    using var scope = NewDisposeScope();
                    var k = 0;
                    foreach (var group in optimizer.ParamGroups)
                        group.LearningRate = Schedule(peaks[k++], step, warmup, totalSteps);
                    step++;
                    var rows = plan[b];
                    var outputs = head.forward(source.Train(rows));                                // (B, C)
                    var loss = input.Objective.Loss(outputs, gold.index_select(0, tensor(rows.Select(i => (long)i).ToArray())));
                    var lossValue = loss.item<float>();
                    if (!float.IsFinite(lossValue))
                        throw Diverged(input, $"the loss became {(float.IsNaN(lossValue) ? "NaN" : "infinite")} at epoch {epoch}, step {step} (batch {b + 1} of {plan.Count})");
                    optimizer.zero_grad();
                    loss.backward();
                    nn.utils.clip_grad_norm_(parameters, spec.GradientClip);
                    optimizer.step();
                    lossSum += lossValue * rows.Length;
                    seen += rows.Length;
                    seenHere += rows.Length;
                    input.OnStep?.Invoke(new StepProgress(epoch, spec.Epochs, b + 1, plan.Count, lossSum / seen,
                                                          seenHere / Math.Max(1e-9, epochWatch.Elapsed.TotalSeconds)));
                    // The run's total assumes every epoch runs; early stopping only makes the time left shorter.
                    input.Progress?.Report(new Util.ProgressUpdate("train", (long)(epoch - 1) * n + seen, (long)spec.Epochs * n, "examples")
                    {
                        Detail = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"epoch {epoch}/{spec.Epochs}, loss {lossSum / seen:F4}"),
                        Part = "epoch", PartDone = seen, PartTotal = n,
                    });
                }
                // A step can leave non-finite weights behind a finite loss (an overflowing update): look once per epoch.
                using (var check = NewDisposeScope()) // State() hands out temporaries (generator states)
                    if (FiniteCheck.FirstNonFinite(head.state_dict().Concat(source.State())) is { } bad)
                        throw Diverged(input, $"'{bad}' holds NaN or infinite values after epoch {epoch} (step {step})");
                var metrics = Validate(source, head, input);
                var value = MetricNames.Score(metrics, input.Metric); // higher is better: errors negated
                var log = new EpochLog(epoch, lossSum / Math.Max(1, seen), metrics.Summary()[input.Metric], seenHere / Math.Max(1e-9, epochWatch.Elapsed.TotalSeconds));
                epochs.Add(log);
                input.OnEpoch?.Invoke(log);
                var bestMetric = state.BestMetric;
                var bestEpoch = state.BestEpoch;
                if (value > bestMetric)
                {
                    (bestMetric, bestEpoch) = (value, epoch);
                    Dispose(best);
                    best = Snapshot(source, head);
                }
                state = state with { Epoch = epoch + 1, BatchesDone = 0, Step = step, LossSum = 0, Seen = 0, Epochs = epochs,
                                     BestMetric = bestMetric, BestEpoch = bestEpoch };
                var stop = spec.EarlyStopping > 0 && epoch - bestEpoch >= spec.EarlyStopping;
                if (epoch < spec.Epochs && !stop)
                    SaveCheckpoint(input, source, head, best, optimizer, state with { Seconds = state.Seconds + watch.Elapsed.TotalSeconds });
                if (stop)
                    break;
            }
            Restore(source, head, best ?? throw new CadreException("training ran no epoch"));
            var validation = Validate(source, head, input);
            var seconds = state.Seconds + watch.Elapsed.TotalSeconds;
            var rate = epochs.Count == 0 ? 0 : epochs.Average(e => e.ExamplesPerSecond);
            if (!input.KeepCheckpoint) input.Checkpoint?.Delete();
            return new LoopResult(state.BestEpoch, validation, epochs, seconds, rate, resumed);
        }
        finally
        {
            Dispose(best);
        }
    }

    /// <summary>
    /// The run's error once it diverged: where, and what to change. Its checkpoint is deleted (resuming would diverge
    /// again, and a changed learning rate is another spec), and nothing is stored: the caller never reaches the commit.
    /// </summary>
    private static CadreException Diverged(LoopInputs input, string where)
    {
        input.Checkpoint?.Delete();
        var rates = input.HeadLearningRate == input.LearningRate
            ? string.Create(CultureInfo.InvariantCulture, $"learning_rate {input.LearningRate:G3}")
            : string.Create(CultureInfo.InvariantCulture, $"learning_rate {input.LearningRate:G3}, head_learning_rate {input.HeadLearningRate:G3}");
        return new TrainingDivergedException($"training diverged: {where}; nothing was stored. Lower the learning rate ({rates}; try a tenth of it)");
    }

    /// <summary>Linear warm-up to the peak, then linear decay to zero.</summary>
    public static double Schedule(double peak, int step, int warmup, int total) =>
        step < warmup ? peak * (step + 1) / warmup : peak * Math.Max(0, total - step) / Math.Max(1, total - warmup);

    private static ITaskMetrics Validate(IFeatureSource source, ClassifierHead head, LoopInputs input)
    {
        using var scope = NewDisposeScope();
        var x = source.Evaluate(input.Validation); // (M, D)
        return input.Objective.Evaluate(head, x, input.Validation.Examples);
    }

    /// <summary>Detached copies of the head's and the source's state, owned by the caller.</summary>
    private static Dictionary<string, Tensor> Snapshot(IFeatureSource source, ClassifierHead head)
    {
        using var scope = NewDisposeScope(); // detach() views and generator states are temporaries
        return head.state_dict().Select(p => KeyValuePair.Create("head." + p.Key, p.Value))
            .Concat(source.State().Select(p => KeyValuePair.Create("source." + p.Key, p.Value)))
            .ToDictionary(p => p.Key, p => p.Value.detach().clone().MoveToOuterDisposeScope(), StringComparer.Ordinal);
    }

    private static void Restore(IFeatureSource source, ClassifierHead head, IReadOnlyDictionary<string, Tensor> saved)
    {
        using (no_grad())
            foreach (var (key, value) in head.state_dict())
                value.copy_(saved["head." + key]);
        source.Restore(saved.Where(p => p.Key.StartsWith("source.", StringComparison.Ordinal))
                            .ToDictionary(p => p.Key["source.".Length..], p => p.Value));
    }

    /// <summary>
    /// Saves a finished run (the head and source hold its best weights) as a checkpoint with no epoch left, so that
    /// <see cref="LoopInputs.Resume"/> returns it without training again: for a result that could not be stored.
    /// </summary>
    public static void SaveFinished(LoopInputs input, IFeatureSource source, ClassifierHead head, LoopResult result)
    {
        if (input.Checkpoint is null) return;
        using var current = new TensorSet(Snapshot(source, head));
        input.Checkpoint.Save(new CheckpointState
        {
            Fingerprint = input.Fingerprint, Epoch = input.Spec.Epochs + 1, Epochs = result.Epochs,
            BestEpoch = result.BestEpoch, Seconds = result.Seconds,
        }, current.Tensors, current.Tensors, optimizer: null);
    }

    private static void SaveCheckpoint(LoopInputs input, IFeatureSource source, ClassifierHead head,
                                       Dictionary<string, Tensor>? best, TorchSharp.Modules.OptimizerHelper optimizer, CheckpointState state)
    {
        if (input.Checkpoint is null) return;
        using var current = new TensorSet(Snapshot(source, head));
        input.Checkpoint.Save(state, current.Tensors, best, optimizer);
    }

    private static void Dispose(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }

    /// <summary>Owns a dictionary of tensors for a using block.</summary>
    private sealed class TensorSet(Dictionary<string, Tensor> tensors) : IDisposable
    {
        public Dictionary<string, Tensor> Tensors { get; } = tensors;

        public void Dispose() => TrainingLoop.Dispose(Tensors);
    }
}
