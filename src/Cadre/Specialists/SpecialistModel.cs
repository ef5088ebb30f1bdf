using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Store;
using Cadre.Tasks;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Specialists;

/// <summary>
/// One text's prediction. Classification: the best label and every label's probability. Multilabel: the labels at
/// or above one half (<see cref="Labels"/>; <see cref="Label"/> joins them with commas) and each label's own
/// probability. Regression: <see cref="Value"/>, no probabilities.
/// </summary>
public sealed record Prediction(string Text, string Label, IReadOnlyDictionary<string, double> Probabilities)
{
    public IReadOnlyList<string>? Labels { get; init; }
    public double? Value { get; init; }
}

/// <summary>One task's predictions for a batch of texts (a merged specialist answers several tasks).</summary>
public sealed record TaskPredictions(InferenceTask Task, IReadOnlyList<Prediction> Predictions);

/// <summary>
/// A stored specialist ready to run: its base (refused if the imported base's content hash differs from the one it
/// was trained on), its adapter attached to the base, and one head per task (a merged specialist has several, all
/// reading the same adapted features). What it loads and how it predicts come from the record's inference contract.
/// </summary>
public sealed class SpecialistModel : IDisposable
{
    private readonly ISentenceEncoder _encoder;
    private readonly AttachedAdapter? _adapter;
    private readonly IReadOnlyList<(InferenceTask Task, ClassifierHead Head)> _heads;

    private SpecialistModel(SpecialistRecord record, InferenceContract contract, ISentenceEncoder encoder, AttachedAdapter? adapter,
                            IReadOnlyList<(InferenceTask, ClassifierHead)> heads)
    {
        Record = record;
        Contract = contract;
        _encoder = encoder;
        _adapter = adapter;
        _heads = heads;
    }

    public SpecialistRecord Record { get; }

    /// <summary>The record's inference contract (derived once for a record written before contracts existed).</summary>
    public InferenceContract Contract { get; }

    /// <summary>The stored version this model was loaded from.</summary>
    /// <remarks>Null for a model loaded from a folder outside the store (a staged merge).</remarks>
    public VersionInfo? Version { get; private set; }

    /// <summary>Loads HEAD of <paramref name="name"/>, or the version <paramref name="rev"/> names.</summary>
    public static SpecialistModel Load(string home, string name, string? rev = null)
    {
        var catalog = new SpecialistCatalog(home);
        var (record, version) = catalog.GetVersion(name, rev);
        var model = Load(home, record, catalog.Store.FolderOf(version));
        model.Version = version;
        return model;
    }

    /// <summary>Loads the specialist <paramref name="record"/> describes from <paramref name="folder"/> (stored or staged).</summary>
    public static SpecialistModel Load(string home, SpecialistRecord record, string folder)
    {
        var contract = record.Contract;
        var trainedOn = contract.Base;
        var bases = new BaseCatalog(home);
        var baseRecord = bases.ForContent(trainedOn.Name, trainedOn.ContentHash);
        if (baseRecord.ContentHash != trainedOn.ContentHash)
            throw new CadreException($"specialist '{record.Name}' was trained on base '{trainedOn.Name}' with content {trainedOn.ContentHash[..12]}, but that base now holds {baseRecord.ContentHash[..12]}; re-import the original base or retrain");
        var encoder = BaseModels.LoadEncoder(bases, baseRecord.Name);
        AttachedAdapter? adapter = null;
        var heads = new List<(InferenceTask, ClassifierHead)>();
        try
        {
            if (contract.Adapter.Method != "head")
                adapter = AdapterFiles.Load(encoder, folder, contract.Adapter.Method);
            foreach (var task in contract.Tasks)
                heads.Add((task, LoadHead(folder, task, encoder.Dimension)));
            return new SpecialistModel(record, contract, encoder, adapter, heads);
        }
        catch
        {
            foreach (var (_, head) in heads) head.Dispose();
            adapter?.Dispose();
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Reads a task's head from a specialist's folder, checked against the base's width and the task's outputs.</summary>
    public static ClassifierHead LoadHead(string folder, InferenceTask task, long features) =>
        LoadHead(Path.Combine(folder, task.Head), features, task.Outputs, task.Kind == TaskKind.Regression);

    /// <summary>Reads a head file, checking its keys and shapes against the base's width and the label count.</summary>
    public static ClassifierHead LoadHead(string file, long features, int classes, bool regression = false)
    {
        using var reader = SafetensorsReader.Open(file);
        var head = new ClassifierHead(features, classes, seed: 0, regression);
        try
        {
            var target = new CheckpointTarget(head, file, _ => false);
            foreach (var info in reader.Tensors)
            {
                if (!target.Expects(info.Name)) continue;
                using var t = reader.ReadTensor(info.Name);
                target.Copy(info.Name, t);
            }
            target.Complete();
            head.eval();
            return head;
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>The task kind of a single-task specialist (an error for a merged one: see <see cref="SpecialistRecord.TaskNamed"/>).</summary>
    public TaskKind Task => Contract.Task(Record.TaskNamed(null).Name).Kind;

    /// <summary>Predictions of a single-task specialist, or of the task named <paramref name="task"/>.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts, string? task = null)
    {
        var chosen = Record.TaskNamed(task);
        return PredictAll(texts).First(p => p.Task.Name == chosen.Name).Predictions;
    }

    /// <summary>Every task's predictions; texts go through the base once per distinct max_length of the tasks.</summary>
    public IReadOnlyList<TaskPredictions> PredictAll(IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        var features = new Dictionary<int, Tensor>();
        var result = new List<TaskPredictions>();
        foreach (var (task, head) in _heads)
        {
            var maxLength = task.MaxLength;
            if (!features.TryGetValue(maxLength, out var x))
                features[maxLength] = x = AdapterFeatures.Embed(_encoder, _adapter, texts, maxLength); // (N, D)
            result.Add(new TaskPredictions(task, Describe(Record.Name, task, texts, TaskObjective.For(task.Kind, task.Labels).Rows(head, x))));
        }
        return result;
    }

    /// <summary>
    /// Predictions from a head's output rows. A NaN or an infinity in them (broken weights) is refused with
    /// <see cref="NonFiniteOutputException"/>: it would otherwise read as a probability of 0 or an arbitrary label.
    /// </summary>
    internal static List<Prediction> Describe(string specialist, InferenceTask task, IReadOnlyList<string> texts, float[][] rows)
    {
        NonFiniteOutputException.Check(specialist, task.Name, rows);
        var labels = task.Labels;
        return texts.Select((t, i) =>
        {
            var row = rows[i];
            var probabilities = labels.Select((l, k) => (l, (double)row[k])).ToDictionary(x => x.l, x => x.Item2);
            switch (task.Kind)
            {
                case TaskKind.Regression:
                    return new Prediction(t, row[0].ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                                          new Dictionary<string, double>()) { Value = row[0] };
                case TaskKind.Multilabel:
                    var chosen = labels.Where((_, k) => row[k] >= 0.5f).ToList();
                    return new Prediction(t, string.Join(",", chosen), probabilities) { Labels = chosen };
                default:
                    return new Prediction(t, labels[Metrics.ArgMax(row)], probabilities);
            }
        }).ToList();
    }

    /// <summary>The sentence embeddings (N, D) the head sees: the base with this specialist's adapter. The caller owns them.</summary>
    public Tensor Features(IReadOnlyList<string> texts) => AdapterFeatures.Embed(_encoder, _adapter, texts, Contract.MaxLength);

    /// <summary>
    /// The task's metrics on a labelled data set whose labels the specialist knows (others are named in the error);
    /// <paramref name="task"/> chooses the task of a merged specialist.
    /// </summary>
    public ITaskMetrics Evaluate(Dataset data, string? task = null)
    {
        var chosen = Contract.Task(Record.TaskNamed(task).Name);
        var known = chosen.Labels.ToHashSet(StringComparer.Ordinal);
        var unknown = data.Examples.Where(e => !(e.Labels ?? (e.Label is null ? [] : [e.Label])).All(known.Contains)).Take(5).ToList();
        if (unknown.Count > 0)
            throw new CadreException($"{data.File}: labels the specialist does not know ({string.Join(", ", chosen.Labels.Take(20))}): "
                                     + string.Join("; ", unknown.Select(e => $"line {e.Line}: '{e.Label ?? string.Join(",", e.Labels!)}'")));
        var head = _heads.First(h => h.Task.Name == chosen.Name).Head;
        using var x = AdapterFeatures.Embed(_encoder, _adapter, data.Examples.Select(e => e.Text).ToList(), chosen.MaxLength);
        return TaskObjective.For(chosen.Kind, chosen.Labels).Evaluate(head, x, data.Examples);
    }

    public void Dispose()
    {
        foreach (var (_, head) in _heads) head.Dispose();
        _adapter?.Dispose();
        _encoder.Dispose();
    }
}
