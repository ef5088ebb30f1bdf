using System.Security.Cryptography;
using Cadre.Data;
using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tensors;
using Cadre.Training.Spec;

namespace Cadre.Training;

/// <summary>What one specialist's training produced, for the summary the CLI prints.</summary>
public sealed record TrainOutcome(SpecialistRecord Record, DataCheckReport Check, IReadOnlyList<EpochLog> Epochs);

/// <summary>
/// Trains the specialists of a spec end to end: read and check the data, hold out validation when none is given,
/// train on the frozen base, evaluate on test, and store the specialist with its provenance.
/// </summary>
public sealed class SpecialistTrainer(string home)
{
    public TrainOutcome Train(SpecialistSpec spec, Action<string>? log = null, Action<EpochLog>? onEpoch = null,
                              CancellationToken cancel = default)
    {
        if (spec.Adapter.Method != "head")
            throw new CadreException($"{spec.Name}: adapter.method '{spec.Adapter.Method}' is not trainable in this version yet; use method: head");
        var train = DatasetReader.Read(SpecFile.Source(spec, spec.Data.Train), spec.Data.SkipInvalid);
        var validation = spec.Data.Validation is { } v ? DatasetReader.Read(SpecFile.Source(spec, v), spec.Data.SkipInvalid) : null;
        var test = spec.Data.Test is { } t ? DatasetReader.Read(SpecFile.Source(spec, t), spec.Data.SkipInvalid) : null;
        foreach (var d in new[] { train, validation, test }.OfType<Dataset>().Where(d => d.Skipped.Count > 0))
            log?.Invoke($"skipped {d.Skipped.Count} invalid rows of {d.File}, first: {d.Skipped[0]}");
        var check = DataCheck.Run(train, new[] { validation, test }.OfType<Dataset>().ToArray());
        log?.Invoke(check.Render().TrimEnd());
        var fit = train;
        if (validation is null)
        {
            (fit, validation) = Splits.Stratified(train, spec.Data.ValidationSplit, spec.Training.Seed);
            log?.Invoke($"validation: {validation.Count} rows held out of train ({spec.Data.ValidationSplit:P0}, seed {spec.Training.Seed})");
        }
        var labels = spec.Data.Labels is { Count: > 0 } declared ? declared : train.Labels;

        var catalog = new BaseCatalog(home);
        var baseRecord = catalog.Get(spec.Base);
        using var encoder = BaseModels.LoadEncoder(catalog, spec.Base);
        var result = HeadTrainer.Train(encoder, fit, validation, labels, spec.Training, onEpoch, cancel);
        using var head = result.Head;
        var metrics = new Dictionary<string, MetricSummary> { ["validation"] = MetricSummary.From(result.Validation) };
        if (test is not null)
        {
            var known = test with { Examples = test.Examples.Where(e => labels.Contains(e.Label!)).ToList() };
            if (known.Count < test.Count)
                log?.Invoke($"test: {test.Count - known.Count} rows carry labels the specialist never saw; evaluated on the other {known.Count}");
            metrics["test"] = MetricSummary.From(Evaluate(encoder, head, known, labels));
        }
        var record = new SpecialistRecord
        {
            Name = spec.Name, Task = spec.Task.ToString().ToLowerInvariant(), Method = spec.Adapter.Method, Labels = labels,
            Base = new BaseReference(baseRecord.Name, baseRecord.Architecture, baseRecord.ContentHash),
            Metrics = metrics, Spec = spec,
            Data = new[] { ("train", (Dataset?)train), ("validation", spec.Data.Validation is null ? null : validation), ("test", test) }
                .Where(p => p.Item2 is not null)
                .ToDictionary(p => p.Item1, p => new DataReference(p.Item2!.File, FileHash(p.Item2.File), p.Item2.Count)),
            Training = new Dictionary<string, double>
            {
                ["best_epoch"] = result.BestEpoch, ["epochs_run"] = result.Epochs.Count,
                ["seconds"] = Math.Round(result.Seconds, 2), ["examples_per_second"] = Math.Round(result.ExamplesPerSecond, 1),
                ["trainable_parameters"] = head.parameters().Sum(p => p.numel()),
            },
        };
        new SpecialistCatalog(home).Save(record, folder =>
            SafetensorsWriter.Write(Path.Combine(folder, SpecialistRecord.HeadFile), head.state_dict(),
                                    new Dictionary<string, string> { ["format"] = "cadre", ["method"] = "head" }));
        return new TrainOutcome(record, check, result.Epochs);
    }

    /// <summary>Metrics of a head on a labelled data set whose labels are all in <paramref name="labels"/>.</summary>
    public static ClassificationMetrics Evaluate(Models.ISentenceEncoder encoder, ClassifierHead head, Dataset data, IReadOnlyList<string> labels)
    {
        var index = labels.ToList();
        var unknown = data.Examples.Where(e => !index.Contains(e.Label!)).Take(5).ToList();
        if (unknown.Count > 0)
            throw new CadreException($"{data.File}: labels the specialist does not know ({string.Join(", ", index)}): "
                                     + string.Join("; ", unknown.Select(e => $"line {e.Line}: '{e.Label}'")));
        using var x = HeadTrainer.Features(encoder, data);
        return HeadTrainer.Evaluate(head, x, data.Examples.Select(e => index.IndexOf(e.Label!)).ToArray(), labels);
    }

    private static string FileHash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
