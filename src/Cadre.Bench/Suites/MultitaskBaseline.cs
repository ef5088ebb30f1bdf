using Cadre.Adapters;
using Cadre.Models;
using Cadre.Tasks;
using Cadre.Tensors;
using Cadre.Training;
using Cadre.Specs;
using static TorchSharp.torch;

namespace Cadre.Suites;

/// <summary>
/// The monolith the ecosystem is compared with: one model on the same base, one shared adapter (the first task's
/// adapter settings) and one head per task, trained on the union of every task's fitted rows for the same total
/// number of examples the specialists saw together (Σ rows × epochs run). Batches hold one task each (so one head
/// per step), length-bucketed per task and shuffled across tasks every epoch; each batch one step of the training
/// loop's <see cref="Optimization"/> (AdamW over the heads at the head rate and the adapter at the method's, warm-up
/// and decay, clipping, a diverged run stops); after every epoch the mean validation accuracy over tasks picks the
/// best state (<see cref="BestState"/>, no early stopping). Evaluation tells it each row's task.
/// </summary>
public sealed class MultitaskBaseline : IDisposable
{
    private readonly ISentenceEncoder _encoder;
    private readonly AttachedAdapter _adapter;
    private readonly IReadOnlyList<ClassifierHead> _heads;
    private readonly IReadOnlyList<IReadOnlyList<string>> _labels;
    private readonly int _maxLength;

    private MultitaskBaseline(ISentenceEncoder encoder, AttachedAdapter adapter, IReadOnlyList<ClassifierHead> heads,
                              IReadOnlyList<IReadOnlyList<string>> labels, int maxLength)
    {
        (_encoder, _adapter, _heads, _labels, _maxLength) = (encoder, adapter, heads, labels, maxLength);
    }

    public long TrainableParameters => _adapter.TrainableParameterCount + _heads.Sum(h => h.parameters().Sum(p => p.numel()));
    public double Seconds { get; private set; }
    public long Examples { get; private set; }
    public int BestEpoch { get; private set; }

    /// <summary>
    /// Trains on <paramref name="tasks"/> for <paramref name="budget"/> examples, or loads the state a previous run
    /// saved in <paramref name="cache"/> for the same fingerprint (tasks, budget, seed, base). The baseline owns
    /// <paramref name="encoder"/>.
    /// </summary>
    public static MultitaskBaseline Train(ISentenceEncoder encoder, string baseName, IReadOnlyList<SuiteTask> tasks, long budget, int seed,
                                          string cache, string fingerprint, Action<string> log)
    {
        var first = tasks[0].Spec;
        var method = first.Adapter.Method == "head" ? "lora" : first.Adapter.Method;
        var training = first.Training;
        var adapter = AdapterMethods.Get(method).Create(encoder, first.Adapter with { Method = method }, seed, baseName);
        var heads = tasks.Select((t, i) => new ClassifierHead(encoder.Dimension, t.Labels.Count, seed + i)).ToList();
        var model = new MultitaskBaseline(encoder, adapter, heads, [.. tasks.Select(t => t.Labels)], training.MaxLength);
        try
        {
            if (model.TryLoad(cache, fingerprint))
            {
                log($"   multitask: reusing {cache} (same tasks, budget and seed)");
                return model;
            }
            model.Fit(tasks, training, method, budget, seed, log);
            model.Save(cache, fingerprint);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void Fit(IReadOnlyList<SuiteTask> tasks, TrainingSpec training, string method, long budget, int seed, Action<string> log)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var texts = tasks.Select(t => t.Fit.Examples.Select(e => e.Text).ToList()).ToList();
        var sources = texts.Select(t => new AdapterFeatures(_encoder, _adapter, t, _maxLength)).ToList();
        var objectives = tasks.Select(t => TaskObjective.For(Data.TaskKind.Classification, t.Labels)).ToList();
        var golds = tasks.Select((t, i) => objectives[i].Gold(t.Fit.Examples)).ToList(); // (N_t) each
        var lengths = texts.Select(t => t.Select(_encoder.CountTokens).ToArray()).ToList();
        for (var i = 0; i < tasks.Count; i++)
            using (var sample = AdapterFeatures.Embed(_encoder, _adapter, [.. texts[i].Take(512)], _maxLength))
                _heads[i].Standardize(sample);
        using var optimization = new Optimization(_heads.SelectMany(h => h.parameters()), training.HeadLearningRateFor(method),
                                                  _adapter.Parameters.Values, training.LearningRateFor(method), training,
                                                  (int)Math.Ceiling(budget / (double)training.BatchSize));
        var perEpoch = tasks.Sum(t => (long)t.Fit.Count);
        var seen = 0L;
        using var best = new BestState(patience: 0); // never stops early: the baseline sees the specialists' whole budget
        try
        {
            for (var epoch = 1; seen < budget; epoch++)
            {
                var plan = tasks.SelectMany((t, i) => BatchPlan.Create(lengths[i], training.BatchSize, seed + i, epoch).Select(rows => (Task: i, Rows: rows))).ToArray();
                new Random(unchecked(seed * 7919 + epoch)).Shuffle(plan);
                double lossSum = 0;
                foreach (var (task, planned) in plan)
                {
                    if (seen >= budget) break;
                    // The last batch stops at the budget, so the baseline sees exactly the specialists' examples × epochs.
                    var rows = seen + planned.Length > budget ? planned[..(int)(budget - seen)] : planned;
                    _heads[task].train();
                    lossSum += optimization.Step(
                        () => objectives[task].Loss(_heads[task].forward(sources[task].Train(rows)),                   // (B, C_t)
                                                    golds[task].index_select(0, tensor(rows.Select(r => (long)r).ToArray()))),
                        () => $"at epoch {epoch}, step {optimization.Steps} (a batch of task {tasks[task].Name})") * rows.Length;
                    seen += rows.Length;
                }
                optimization.RequireFinite(State, $"after epoch {epoch} (step {optimization.Steps})");
                var score = tasks.Select((t, i) => Accuracy(i, t.Validation)).Average();
                log(FormattableString.Invariant($"   multitask epoch {epoch}: {seen:N0}/{budget:N0} examples, loss {lossSum / Math.Max(1, Math.Min(perEpoch, seen)):F4}, mean validation accuracy {score:F4}"));
                best.Offer(epoch, score, Snapshot);
            }
            Restore(best.Weights);
            BestEpoch = best.Epoch;
        }
        finally
        {
            foreach (var g in golds) g.Dispose();
        }
        (Seconds, Examples) = (watch.Elapsed.TotalSeconds, seen);
    }

    /// <summary>The predicted label index per row of <paramref name="texts"/>, with task <paramref name="task"/>'s head.</summary>
    public int[] Predict(int task, IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _heads[task].eval();
        var x = AdapterFeatures.Embed(_encoder, _adapter, texts, _maxLength); // (N, D)
        return [.. _heads[task].forward(x).argmax(1).data<long>().ToArray().Select(v => (int)v)];
    }

    /// <summary>Accuracy of task <paramref name="task"/>'s head on labelled rows of that task.</summary>
    public double Accuracy(int task, Data.Dataset data)
    {
        if (data.Count == 0) return double.NaN;
        var predicted = Predict(task, [.. data.Examples.Select(e => e.Text)]);
        return data.Examples.Where((e, i) => _labels[task][predicted[i]] == e.Label).Count() / (double)data.Count;
    }

    /// <summary>The label names of <paramref name="predicted"/> indices for task <paramref name="task"/>.</summary>
    public string Label(int task, int predicted) => _labels[task][predicted];

    private void Save(string file, string fingerprint)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var state = Snapshot();
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        SafetensorsWriter.Write(file, state.Tensors, new Dictionary<string, string>
        {
            ["format"] = "cadre-multitask", ["fingerprint"] = fingerprint, ["seconds"] = Seconds.ToString("R", ci),
            ["examples"] = Examples.ToString(ci), ["best_epoch"] = BestEpoch.ToString(ci),
        });
    }

    private bool TryLoad(string file, string fingerprint)
    {
        if (!File.Exists(file)) return false;
        using var reader = SafetensorsReader.Open(file);
        if (reader.Metadata.GetValueOrDefault("fingerprint") != fingerprint) return false;
        using (var state = new StateSnapshot(reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name))))
        {
            using var mine = Snapshot();
            var fits = mine.Tensors.Keys.Order().SequenceEqual(state.Tensors.Keys.Order())
                       && mine.Tensors.All(p => p.Value.shape.SequenceEqual(state.Tensors[p.Key].shape));
            if (!fits) return false;
            Restore(state.Tensors);
        }
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        Seconds = double.Parse(reader.Metadata["seconds"], ci);
        Examples = long.Parse(reader.Metadata["examples"], ci);
        BestEpoch = int.Parse(reader.Metadata["best_epoch"], ci);
        return true;
    }

    /// <summary>The trainable state by name: every head's (<c>head{i}.</c>) and the shared adapter's (<c>adapter.</c>).</summary>
    private IEnumerable<KeyValuePair<string, Tensor>> State() =>
        _heads.SelectMany((h, i) => h.state_dict().Select(p => KeyValuePair.Create($"head{i}.{p.Key}", p.Value)))
            .Concat(_adapter.Parameters.Select(p => KeyValuePair.Create("adapter." + p.Key, (Tensor)p.Value)));

    private StateSnapshot Snapshot() => StateSnapshot.Of(State);

    private void Restore(IReadOnlyDictionary<string, Tensor> saved)
    {
        using var _ = no_grad();
        for (var i = 0; i < _heads.Count; i++)
            foreach (var (key, value) in _heads[i].state_dict())
                value.copy_(saved[$"head{i}.{key}"]);
        foreach (var (key, p) in _adapter.Parameters)
            p.copy_(saved["adapter." + key]);
    }

    public void Dispose()
    {
        foreach (var h in _heads) h.Dispose();
        _adapter.Dispose();
        _encoder.Dispose();
    }
}
