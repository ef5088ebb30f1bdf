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
/// was trained on) and its head.
/// </summary>
public sealed class SpecialistModel : IDisposable
{
    private readonly ISentenceEncoder _encoder;
    private readonly ClassifierHead _head;

    private SpecialistModel(SpecialistRecord record, ISentenceEncoder encoder, ClassifierHead head)
    {
        Record = record;
        _encoder = encoder;
        _head = head;
    }

    public SpecialistRecord Record { get; }

    public static SpecialistModel Load(string home, string name)
    {
        var record = new SpecialistCatalog(home).Get(name);
        var bases = new BaseCatalog(home);
        var baseRecord = bases.Get(record.Base.Name);
        if (baseRecord.ContentHash != record.Base.ContentHash)
            throw new CadreException($"specialist '{name}' was trained on base '{record.Base.Name}' with content {record.Base.ContentHash[..12]}, but that base now holds {baseRecord.ContentHash[..12]}; re-import the original base or retrain");
        if (record.Method != "head")
            throw new CadreException($"specialist '{name}' uses method '{record.Method}', which this version cannot run");
        var encoder = BaseModels.LoadEncoder(bases, record.Base.Name);
        try
        {
            var file = Path.Combine(new SpecialistCatalog(home).FolderOf(name), SpecialistRecord.HeadFile);
            using var reader = SafetensorsReader.Open(file);
            var head = new ClassifierHead(encoder.Dimension, record.Labels.Count, seed: 0);
            var target = new CheckpointTarget(head, file, _ => false);
            foreach (var info in reader.Tensors)
            {
                if (!target.Expects(info.Name)) continue;
                using var t = reader.ReadTensor(info.Name);
                target.Copy(info.Name, t);
            }
            target.Complete();
            head.eval();
            return new SpecialistModel(record, encoder, head);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        var data = new Dataset("input", TaskKind.Classification, texts.Select((t, i) => new Example(t, null, null, null, "input", i + 1)).ToList(), [], []);
        var p = HeadTrainer.Probabilities(_head, HeadTrainer.Features(_encoder, data)); // (B, C)
        var flat = p.data<float>().ToArray();
        var c = Record.Labels.Count;
        return texts.Select((t, i) =>
        {
            var row = flat.AsSpan(i * c, c).ToArray();
            return new Prediction(t, Record.Labels[Metrics.ArgMax(row)],
                Record.Labels.Select((l, k) => (l, (double)row[k])).ToDictionary(x => x.l, x => x.Item2));
        }).ToList();
    }

    /// <summary>Metrics on a labelled file read like the specialist's training data.</summary>
    public ClassificationMetrics Evaluate(Dataset data) => SpecialistTrainer.Evaluate(_encoder, _head, data, Record.Labels);

    public void Dispose()
    {
        _head.Dispose();
        _encoder.Dispose();
    }
}
