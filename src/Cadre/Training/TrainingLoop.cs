using System.Diagnostics;
using System.Globalization;
using Cadre.Specs;
using Cadre.Tasks;
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
/// The one training loop of every method: length-bucketed batches, each one <see cref="Optimization"/> step (AdamW
/// over the head and the source's trainable tensors, linear warm-up and decay, gradient clipping, one dispose scope),
/// validation after each epoch, early stopping that keeps the best epoch (<see cref="BestState"/>), and a checkpoint
/// after each epoch and on cancellation (Ctrl-C) that <see cref="LoopInputs.Resume"/> continues exactly where it stopped.
/// </summary>
public static class TrainingLoop
{
    public static LoopResult Run(IFeatureSource source, ClassifierHead head, LoopInputs input, CancellationToken cancel)
    {
        var spec = input.Spec;
        var watch = Stopwatch.StartNew();
        var n = input.Train.Count;
        var batchesPerEpoch = (n + spec.BatchSize - 1) / spec.BatchSize;
        // Two groups: the fresh head at its own rate, the adapter (or base) at the method's.
        using var optimization = new Optimization(head.parameters(), input.HeadLearningRate, source.Parameters, input.LearningRate,
                                                  spec, batchesPerEpoch * spec.Epochs);
        using var gold = input.Objective.Gold(input.Train); // (N) or (N, C)

        var state = new CheckpointState { Fingerprint = input.Fingerprint, Epoch = 1 };
        var saved = input.Resume && input.Checkpoint is { Exists: true } checkpoint ? checkpoint : null;
        if (saved is not null)
        {
            state = saved.ReadState();
            if (state.Fingerprint != input.Fingerprint)
                throw new CadreException($"{saved.Folder}: the checkpoint belongs to another spec or data; train without --resume to start over");
            using var current = new StateSnapshot(saved.ReadTensors("current")!);
            Restore(source, head, current.Tensors);
            saved.LoadOptimizer(optimization.Optimizer);
            optimization.Steps = state.Step;
        }
        using var best = new BestState(spec.EarlyStopping, state.BestMetric, state.BestEpoch,
                                       saved?.ReadTensors("best") is { } stored ? new StateSnapshot(stored) : null);

        var epochs = state.Epochs.ToList();
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
                        SaveCheckpoint(input, source, head, best, optimization, state with
                        {
                            Epoch = epoch, BatchesDone = b, Step = optimization.Steps, LossSum = lossSum, Seen = seen, Epochs = epochs,
                            Seconds = state.Seconds + watch.Elapsed.TotalSeconds,
                        });
                        cancel.ThrowIfCancellationRequested();
                    }
                    var rows = plan[b];
                    var lossValue = optimization.Step(
                        () => input.Objective.Loss(head.forward(source.Train(rows)),                              // (B, C)
                                                   gold.index_select(0, tensor(rows.Select(i => (long)i).ToArray()))),
                        () => $"at epoch {epoch}, step {optimization.Steps} (batch {b + 1} of {plan.Count})");
                    lossSum += lossValue * rows.Length;
                    seen += rows.Length;
                    seenHere += rows.Length;
                    input.OnStep?.Invoke(new StepProgress(epoch, spec.Epochs, b + 1, plan.Count, lossSum / seen,
                                                          seenHere / Math.Max(1e-9, epochWatch.Elapsed.TotalSeconds)));
                    // The run's total assumes every epoch runs; early stopping only makes the time left shorter.
                    input.Progress?.Report(new Util.ProgressUpdate("train", (long)(epoch - 1) * n + seen, (long)spec.Epochs * n, "examples")
                    {
                        Detail = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{spec.Epochs}, loss {lossSum / seen:F4}"),
                        Part = "epoch", PartDone = seen, PartTotal = n,
                    });
                }
                optimization.RequireFinite(() => head.state_dict().Concat(source.State()), $"after epoch {epoch} (step {optimization.Steps})");
                var metrics = Validate(source, head, input);
                var value = MetricNames.Score(metrics, input.Metric); // higher is better: errors negated
                var log = new EpochLog(epoch, lossSum / Math.Max(1, seen), metrics.Summary()[input.Metric], seenHere / Math.Max(1e-9, epochWatch.Elapsed.TotalSeconds));
                epochs.Add(log);
                input.OnEpoch?.Invoke(log);
                best.Offer(epoch, value, () => Snapshot(source, head));
                state = state with { Epoch = epoch + 1, BatchesDone = 0, Step = optimization.Steps, LossSum = 0, Seen = 0, Epochs = epochs,
                                     BestMetric = best.Score, BestEpoch = best.Epoch };
                var stop = best.ShouldStop(epoch);
                if (epoch < spec.Epochs && !stop)
                    SaveCheckpoint(input, source, head, best, optimization, state with { Seconds = state.Seconds + watch.Elapsed.TotalSeconds });
                if (stop)
                    break;
            }
        }
        catch (TrainingDivergedException)
        {
            // Resuming would diverge again, and a changed learning rate is another spec: nothing is kept, nothing stored.
            input.Checkpoint?.Delete();
            throw;
        }
        Restore(source, head, best.Weights);
        var validation = Validate(source, head, input);
        var seconds = state.Seconds + watch.Elapsed.TotalSeconds;
        var rate = epochs.Count == 0 ? 0 : epochs.Average(e => e.ExamplesPerSecond);
        if (!input.KeepCheckpoint) input.Checkpoint?.Delete();
        return new LoopResult(state.BestEpoch, validation, epochs, seconds, rate, saved is not null);
    }

    private static ITaskMetrics Validate(IFeatureSource source, ClassifierHead head, LoopInputs input)
    {
        using var scope = NewDisposeScope();
        var x = source.Evaluate(input.Validation); // (M, D)
        return input.Objective.Evaluate(head, x, input.Validation.Examples);
    }

    /// <summary>Detached copies of the head's and the source's state.</summary>
    private static StateSnapshot Snapshot(IFeatureSource source, ClassifierHead head) =>
        StateSnapshot.Of(() => head.state_dict().Select(p => KeyValuePair.Create("head." + p.Key, p.Value))
            .Concat(source.State().Select(p => KeyValuePair.Create("source." + p.Key, p.Value))));

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
        using var current = Snapshot(source, head);
        input.Checkpoint.Save(new CheckpointState
        {
            Fingerprint = input.Fingerprint, Epoch = input.Spec.Epochs + 1, Epochs = result.Epochs,
            BestEpoch = result.BestEpoch, Seconds = result.Seconds,
        }, current.Tensors, current.Tensors, optimizer: null);
    }

    private static void SaveCheckpoint(LoopInputs input, IFeatureSource source, ClassifierHead head, BestState best,
                                       Optimization optimization, CheckpointState state)
    {
        if (input.Checkpoint is null) return;
        using var current = Snapshot(source, head);
        input.Checkpoint.Save(state, current.Tensors, best.State?.Tensors, optimization.Optimizer);
    }
}
