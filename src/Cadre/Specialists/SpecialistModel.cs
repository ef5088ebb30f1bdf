using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Store;
using Cadre.Tensors;
using Cadre.Training;
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

/// <summary>
/// A stored specialist ready to run: its base (refused if the imported base's content hash differs from the one it
/// was trained on), its adapter attached to the base, and its head.
/// </summary>
public sealed class SpecialistModel : IDisposable
{
    private readonly ISentenceEncoder _encoder;
    private readonly AttachedAdapter? _adapter;
    private readonly ClassifierHead _head;

    private SpecialistModel(SpecialistRecord record, ISentenceEncoder encoder, AttachedAdapter? adapter, ClassifierHead head)
    {
        Record = record;
        _encoder = encoder;
        _adapter = adapter;
        _head = head;
    }

    public SpecialistRecord Record { get; }

    public static SpecialistModel Load(string home, string name)
    {
        var catalog = new SpecialistCatalog(home);
        var record = catalog.Get(name);
        var bases = new BaseCatalog(home);
        var baseRecord = bases.Get(record.Base.Name);
        if (baseRecord.ContentHash != record.Base.ContentHash)
            throw new CadreException($"specialist '{name}' was trained on base '{record.Base.Name}' with content {record.Base.ContentHash[..12]}, but that base now holds {baseRecord.ContentHash[..12]}; re-import the original base or retrain");
        var encoder = BaseModels.LoadEncoder(bases, record.Base.Name);
        AttachedAdapter? adapter = null;
        try
        {
            var folder = catalog.FolderOf(name);
            if (record.Method != "head")
                adapter = AdapterFiles.Load(encoder, folder, record.Method);
            var regression = record.Task == "regression";
            var head = LoadHead(Path.Combine(folder, SpecialistRecord.HeadFile), encoder.Dimension,
                                regression ? 1 : record.Labels.Count, regression);
            return new SpecialistModel(record, encoder, adapter, head);
        }
        catch
        {
            adapter?.Dispose();
            encoder.Dispose();
            throw;
        }
    }

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

    private int MaxLength => Record.Spec.Training.MaxLength;

    public TaskKind Task => Enum.Parse<TaskKind>(Record.Task, ignoreCase: true);

    private TaskObjective Objective => TaskObjective.For(Task, Record.Labels);

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        var rows = Objective.Rows(_head, AdapterFeatures.Embed(_encoder, _adapter, texts, MaxLength)); // per text: (C) or (1)
        var labels = Record.Labels;
        return texts.Select((t, i) =>
        {
            var row = rows[i];
            var probabilities = labels.Select((l, k) => (l, (double)row[k])).ToDictionary(x => x.l, x => x.Item2);
            switch (Task)
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
    public Tensor Features(IReadOnlyList<string> texts) => AdapterFeatures.Embed(_encoder, _adapter, texts, MaxLength);

    /// <summary>The task's metrics on a labelled data set whose labels the specialist knows (others are named in the error).</summary>
    public ITaskMetrics Evaluate(Dataset data)
    {
        var known = Record.Labels.ToHashSet(StringComparer.Ordinal);
        var unknown = data.Examples.Where(e => !(e.Labels ?? (e.Label is null ? [] : [e.Label])).All(known.Contains)).Take(5).ToList();
        if (unknown.Count > 0)
            throw new CadreException($"{data.File}: labels the specialist does not know ({string.Join(", ", Record.Labels.Take(20))}): "
                                     + string.Join("; ", unknown.Select(e => $"line {e.Line}: '{e.Label ?? string.Join(",", e.Labels!)}'")));
        using var x = AdapterFeatures.Embed(_encoder, _adapter, data.Examples.Select(e => e.Text).ToList(), MaxLength);
        return Objective.Evaluate(_head, x, data.Examples);
    }

    public void Dispose()
    {
        _head.Dispose();
        _adapter?.Dispose();
        _encoder.Dispose();
    }
}
