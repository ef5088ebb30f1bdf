using System.Security.Cryptography;
using Cadre.Data;
using Cadre.Specialists;
using Cadre.Specs;

namespace Cadre.Training;

/// <summary>
/// A specialist's examples as its training run used them: the files read with the spec's settings, excluded labels
/// left out, train sampled (<c>sample_size</c>), validation held out of train when the spec names no file (stratified,
/// seeded), and the label set. Training, the Fisher estimate and a merge's evaluation all read data through here,
/// so they see the same rows.
/// </summary>
public sealed record TrainingData(Dataset Train, Dataset Fit, Dataset Validation, Dataset? Test, IReadOnlyList<string> Labels)
{
    public static TrainingData Load(SpecialistSpec spec, Action<string>? log = null)
    {
        var train = DatasetReader.Read(SpecFile.Source(spec, spec.Data.Train, "train"), spec.Data.SkipInvalid);
        var validation = spec.Data.Validation is { } v ? DatasetReader.Read(SpecFile.Source(spec, v, "validation"), spec.Data.SkipInvalid) : null;
        var test = spec.Data.Test is { } t ? DatasetReader.Read(SpecFile.Source(spec, t, "test"), spec.Data.SkipInvalid) : null;
        foreach (var d in new[] { train, validation, test }.OfType<Dataset>().Where(d => d.Skipped.Count > 0))
            log?.Invoke($"skipped {d.Skipped.Count} invalid rows of {d.File}, first: {d.Skipped[0]}");
        foreach (var w in new[] { train, validation, test }.OfType<Dataset>().SelectMany(d => d.Warnings))
            log?.Invoke($"warning: {w}");
        if (spec.Data.ExcludeLabels.Count > 0)
            (train, validation, test) = (Exclude(train, spec, log)!, Exclude(validation, spec, log), Exclude(test, spec, log));
        if (spec.Data.SampleSize is { } size && size < train.Count)
        {
            train = Splits.Stratified(train, (double)size / train.Count, spec.Training.Seed + 1).Validation;
            log?.Invoke($"training on a stratified sample of {train.Count} rows (sample_size {size}, seed {spec.Training.Seed + 1})");
        }
        var fit = train;
        if (validation is null)
        {
            (fit, validation) = Splits.Stratified(train, spec.Data.ValidationSplit, spec.Training.Seed);
            log?.Invoke($"validation: {validation.Count} rows held out of train ({spec.Data.ValidationSplit:P0}, seed {spec.Training.Seed})");
        }
        // Refused here, before any model loads: too little data otherwise fails deep inside training or evaluation.
        var sufficiency = DataSufficiency.Check(spec.Name, train, fit, validation, test, spec.Data.Validation is null ? spec.Data.ValidationSplit : null);
        foreach (var w in DataSufficiency.Require(sufficiency))
            log?.Invoke($"warning: {w}");
        var labels = spec.Task == TaskKind.Regression ? [] : spec.Data.Labels is { Count: > 0 } declared ? declared : train.Labels;
        return new TrainingData(train, fit, validation, test, labels);
    }

    /// <summary>
    /// The problems that keep a specialist's recorded data from being read again exactly: a file that is gone, or
    /// whose content changed since training (by SHA-256). Empty when every recorded file is as it was.
    /// </summary>
    public static IReadOnlyList<string> Check(IReadOnlyDictionary<string, DataReference> data)
    {
        var problems = new List<string>();
        foreach (var (split, reference) in data)
        {
            if (!File.Exists(reference.File))
                problems.Add($"{split} file {reference.File} is gone");
            else if (FileHash(reference.File) != reference.Sha256)
                problems.Add($"{split} file {reference.File} changed since training (sha256 {reference.Sha256[..12]} then)");
        }
        return problems;
    }

    public static string FileHash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static Dataset? Exclude(Dataset? data, SpecialistSpec spec, Action<string>? log)
    {
        if (data is null) return null;
        var kept = data.Examples.Where(e => !spec.Data.ExcludeLabels.Contains(e.Label!)).ToList();
        if (kept.Count < data.Count)
            log?.Invoke($"excluded {data.Count - kept.Count} rows of {Path.GetFileName(data.File)} labelled {string.Join(", ", spec.Data.ExcludeLabels)}");
        return data with { Examples = kept, Labels = data.Labels.Where(l => !spec.Data.ExcludeLabels.Contains(l)).ToList() };
    }
}
