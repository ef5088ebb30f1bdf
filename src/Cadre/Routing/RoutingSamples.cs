using Cadre.Data;
using Cadre.Models;
using Cadre.Specialists;
using Cadre.Specs;
using Cadre.Training;

namespace Cadre.Routing;

/// <summary>
/// Finds each specialist's <see cref="RoutingSample"/>: the <c>routing.safetensors</c> saved at training time, or,
/// for specialists trained before it existed, the same sample rebuilt from the training file its
/// <c>cadre.json</c> records (when that file is still there with the same content), or a clear error.
/// </summary>
public static class RoutingSamples
{
    /// <summary>The training rows a specialist learned from: the train file, less excluded labels, sampled as the trainer does.</summary>
    public static Dataset TrainingRows(SpecialistSpec spec, Dataset train)
    {
        if (spec.Data.ExcludeLabels.Count > 0)
            train = train with
            {
                Examples = train.Examples.Where(e => !spec.Data.ExcludeLabels.Contains(e.Label!)).ToList(),
                Labels = train.Labels.Where(l => !spec.Data.ExcludeLabels.Contains(l)).ToList(),
            };
        if (spec.Data.SampleSize is { } size && size < train.Count)
            train = Splits.Stratified(train, (double)size / train.Count, spec.Training.Seed + 1).Validation;
        return train;
    }

    /// <summary>
    /// The specialist's routing sample. <paramref name="encoder"/> is asked for only when the sample must be rebuilt
    /// from the training file (the caller owns what it returns, and it must carry no adapter).
    /// </summary>
    public static RoutingSample For(string home, SpecialistRecord record, Func<ISentenceEncoder> encoder)
    {
        var folder = new SpecialistCatalog(home).FolderOf(record.Name);
        var file = Path.Combine(folder, RoutingSample.FileName);
        if (File.Exists(file))
            return RoutingSample.Read(file, record.Name, record.Labels.Count);
        if (record.Spec is not { } spec)
            throw new CadreException($"'{record.Name}' is a merged specialist: it has no routing sample of its own; build the router over the specialists it merges (--specialists)");
        var hint = $"specialist '{record.Name}' has no {RoutingSample.FileName} (it was trained before routing samples existed)";
        if (!record.Data.TryGetValue("train", out var data))
            throw new CadreException($"{hint} and records no training file; retrain it with cadre train");
        if (!File.Exists(data.File))
            throw new CadreException($"{hint} and its training file {data.File} is gone; retrain it with cadre train to route it");
        if (TrainingData.FileHash(data.File) != data.Sha256)
            throw new CadreException($"{hint} and its training file {data.File} changed since it was trained; retrain it with cadre train to route it");
        var train = TrainingRows(spec, DatasetReader.Read(SpecFile.Source(spec, data.File, "train"), spec.Data.SkipInvalid));
        return RoutingSample.Capture(spec, encoder(), train, record.Labels);
    }
}
