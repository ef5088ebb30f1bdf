using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Store;
using Cadre.Tensors;
using Cadre.Training;
using static TorchSharp.torch;

namespace Cadre.Specialists;

/// <summary>One text's prediction: the best label and every label's probability.</summary>
public sealed record Prediction(string Text, string Label, IReadOnlyDictionary<string, double> Probabilities);

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
            var head = LoadHead(Path.Combine(folder, SpecialistRecord.HeadFile), encoder.Dimension, record.Labels.Count);
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
    public static ClassifierHead LoadHead(string file, long features, int classes)
    {
        using var reader = SafetensorsReader.Open(file);
        var head = new ClassifierHead(features, classes, seed: 0);
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

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        var p = Heads.Probabilities(_head, AdapterFeatures.Embed(_encoder, _adapter, texts, MaxLength)); // (B, C)
        var flat = p.data<float>().ToArray();
        var c = Record.Labels.Count;
        return texts.Select((t, i) =>
        {
            var row = flat.AsSpan(i * c, c).ToArray();
            return new Prediction(t, Record.Labels[Metrics.ArgMax(row)],
                Record.Labels.Select((l, k) => (l, (double)row[k])).ToDictionary(x => x.l, x => x.Item2));
        }).ToList();
    }

    /// <summary>Metrics on a labelled data set whose labels the specialist knows (others are named in the error).</summary>
    public ClassificationMetrics Evaluate(Dataset data)
    {
        var index = Record.Labels.ToList();
        var unknown = data.Examples.Where(e => !index.Contains(e.Label!)).Take(5).ToList();
        if (unknown.Count > 0)
            throw new CadreException($"{data.File}: labels the specialist does not know ({string.Join(", ", index)}): "
                                     + string.Join("; ", unknown.Select(e => $"line {e.Line}: '{e.Label}'")));
        using var x = AdapterFeatures.Embed(_encoder, _adapter, data.Examples.Select(e => e.Text).ToList(), MaxLength);
        return Heads.Evaluate(_head, x, data.Examples.Select(e => index.IndexOf(e.Label!)).ToArray(), Record.Labels);
    }

    public void Dispose()
    {
        _head.Dispose();
        _adapter?.Dispose();
        _encoder.Dispose();
    }
}
