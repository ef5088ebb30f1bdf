using Cadre.Adapters;
using Cadre.Models;
using Cadre.Tensors;
using Cadre.Training;
using Cadre.Training.Spec;
using static TorchSharp.torch;

namespace Cadre.Suites;

/// <summary>
/// The monolith the ecosystem is compared with: one model on the same base, one shared adapter (the first task's
/// adapter settings) and one head per task, trained on the union of every task's fitted rows for the same total
/// number of examples the specialists saw together (Σ rows × epochs run). Batches hold one task each (so one head
/// per step), length-bucketed per task and shuffled across tasks every epoch; one AdamW over the adapter (at the
/// method's rate) and the heads (at the head rate), linear warm-up and decay, gradient clipping; after every epoch
/// the mean validation accuracy over tasks picks the best state. Evaluation tells it each row's task.
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
        var headParameters = _heads.SelectMany(h => h.parameters()).ToList();
        using var optimizer = optim.AdamW(new[]
        {
            new TorchSharp.Modules.AdamW.ParamGroup(headParameters, lr: training.HeadLearningRateFor(method), weight_decay: training.WeightDecay),
            new TorchSharp.Modules.AdamW.ParamGroup(_adapter.Parameters.Values, lr: training.LearningRateFor(method), weight_decay: training.WeightDecay),
        }, training.LearningRateFor(method));
        var peaks = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        var all = headParameters.Concat(_adapter.Parameters.Values).ToList();
        var perEpoch = tasks.Sum(t => (long)t.Fit.Count);
        var totalSteps = (int)Math.Ceiling(budget / (double)training.BatchSize);
        var warmup = (int)(training.WarmupRatio * totalSteps);
        var (step, seen, bestScore) = (0, 0L, double.NegativeInfinity);
        Dictionary<string, Tensor>? best = null;
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
                    using var scope = NewDisposeScope();
                    var k = 0;
                    foreach (var group in optimizer.ParamGroups)
                        group.LearningRate = TrainingLoop.Schedule(peaks[k++], step, warmup, totalSteps);
                    step++;
                    _heads[task].train();
                    var outputs = _heads[task].forward(sources[task].Train(rows));                                   // (B, C_t)
                    var loss = objectives[task].Loss(outputs, golds[task].index_select(0, tensor(rows.Select(r => (long)r).ToArray())));
                    optimizer.zero_grad();
                    loss.backward();
                    nn.utils.clip_grad_norm_(all, training.GradientClip);
                    optimizer.step();
                    lossSum += loss.item<float>() * rows.Length;
                    seen += rows.Length;
                }
                var score = tasks.Select((t, i) => Accuracy(i, t.Validation)).Average();
                log(FormattableString.Invariant($"   multitask epoch {epoch}: {seen:N0}/{budget:N0} examples, loss {lossSum / Math.Max(1, Math.Min(perEpoch, seen)):F4}, mean validation accuracy {score:F4}"));
                if (score > bestScore)
                {
                    (bestScore, BestEpoch) = (score, epoch);
                    Release(best);
                    best = Snapshot();
                }
            }
            Restore(best!);
        }
        finally
        {
            Release(best);
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
        var state = Snapshot();
        try
        {
            var ci = System.Globalization.CultureInfo.InvariantCulture;
            SafetensorsWriter.Write(file, state, new Dictionary<string, string>
            {
                ["format"] = "cadre-multitask", ["fingerprint"] = fingerprint, ["seconds"] = Seconds.ToString("R", ci),
                ["examples"] = Examples.ToString(ci), ["best_epoch"] = BestEpoch.ToString(ci),
            });
        }
        finally
        {
            Release(state);
        }
    }

    private bool TryLoad(string file, string fingerprint)
    {
        if (!File.Exists(file)) return false;
        using var reader = SafetensorsReader.Open(file);
        if (reader.Metadata.GetValueOrDefault("fingerprint") != fingerprint) return false;
        var state = reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name));
        try
        {
            var mine = Snapshot();
            var fits = mine.Keys.Order().SequenceEqual(state.Keys.Order()) && mine.All(p => p.Value.shape.SequenceEqual(state[p.Key].shape));
            Release(mine);
            if (!fits) return false;
            Restore(state);
        }
        finally
        {
            Release(state);
        }
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        Seconds = double.Parse(reader.Metadata["seconds"], ci);
        Examples = long.Parse(reader.Metadata["examples"], ci);
        BestEpoch = int.Parse(reader.Metadata["best_epoch"], ci);
        return true;
    }

    private Dictionary<string, Tensor> Snapshot()
    {
        using var scope = NewDisposeScope();
        return _heads.SelectMany((h, i) => h.state_dict().Select(p => KeyValuePair.Create($"head{i}.{p.Key}", p.Value)))
            .Concat(_adapter.Parameters.Select(p => KeyValuePair.Create("adapter." + p.Key, (Tensor)p.Value)))
            .ToDictionary(p => p.Key, p => p.Value.detach().clone().MoveToOuterDisposeScope());
    }

    private void Restore(Dictionary<string, Tensor> saved)
    {
        using var _ = no_grad();
        for (var i = 0; i < _heads.Count; i++)
            foreach (var (key, value) in _heads[i].state_dict())
                value.copy_(saved[$"head{i}.{key}"]);
        foreach (var (key, p) in _adapter.Parameters)
            p.copy_(saved["adapter." + key]);
    }

    private static void Release(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }

    public void Dispose()
    {
        foreach (var h in _heads) h.Dispose();
        _adapter.Dispose();
        _encoder.Dispose();
    }
}
