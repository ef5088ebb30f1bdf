using Cadre.Data;
using Cadre.Routing;
using Cadre.Specs;

namespace Cadre.Suites;

/// <summary>
/// One task of a suite: its specialist's spec and labels, the rows that specialist was fitted and validated on (as
/// the trainer splits them, so the multitask baseline sees exactly the same examples), and its capped test rows.
/// <see cref="TestSource"/> says where the test rows came from: the task's test file, or, for a task without one,
/// the training file's rows outside the specialist's training sample (texts equal to a training text removed).
/// </summary>
public sealed record SuiteTask(string Name, SpecialistSpec Spec, IReadOnlyList<string> Labels, Dataset Fit, Dataset Validation,
                               Dataset Test, string TestSource);

public static class SuiteTasks
{
    public static SuiteTask Prepare(SpecialistSpec spec, int testRows, int seed)
    {
        if (spec.Task != TaskKind.Classification)
            throw new CadreException($"suite task '{spec.Name}': only classification tasks can be routed and compared; it is {spec.Task.ToString().ToLowerInvariant()}");
        var d = spec.Data;
        var all = DatasetReader.Read(SpecFile.Source(spec, d.Train, "train"), d.SkipInvalid);
        var train = RoutingSamples.TrainingRows(spec, all);
        var labels = d.Labels is { Count: > 0 } declared ? declared : train.Labels;
        var known = labels.ToHashSet(StringComparer.Ordinal);
        Dataset fit = train, validation;
        if (d.Validation is { } v)
            validation = Known(Exclude(DatasetReader.Read(SpecFile.Source(spec, v, "validation"), d.SkipInvalid), spec), known);
        else
            (fit, validation) = Splits.Stratified(train, d.ValidationSplit, spec.Training.Seed);
        Dataset test;
        string source;
        if (d.Test is { } t)
        {
            test = Known(Exclude(DatasetReader.Read(SpecFile.Source(spec, t, "test"), d.SkipInvalid), spec), known);
            source = "test file";
        }
        else
        {
            var pool = Exclude(all, spec);
            if (d.SampleSize is not { } size || size >= pool.Count)
                throw new CadreException($"suite task '{spec.Name}' has no test file and trains on all its rows; give it data.test or a data.sample_size below its {pool.Count} rows");
            var seen = train.Examples.Select(e => e.Text).ToHashSet(StringComparer.Ordinal);
            var rest = Splits.Stratified(pool, (double)size / pool.Count, spec.Training.Seed + 1).Train;
            test = Known(rest with { Examples = [.. rest.Examples.Where(e => !seen.Contains(e.Text))] }, known);
            source = "training rows outside the sample";
        }
        if (test.Count > testRows)
            test = Splits.Stratified(test, (double)testRows / test.Count, seed).Validation;
        if (test.Count == 0)
            throw new CadreException($"suite task '{spec.Name}': no test rows with labels the specialist knows");
        return new SuiteTask(spec.Name, spec, labels, fit, validation, test, source);
    }

    private static Dataset Exclude(Dataset data, SpecialistSpec spec) => spec.Data.ExcludeLabels.Count == 0 ? data
        : data with { Examples = [.. data.Examples.Where(e => !spec.Data.ExcludeLabels.Contains(e.Label!))] };

    private static Dataset Known(Dataset data, HashSet<string> labels) =>
        data with { Examples = [.. data.Examples.Where(e => labels.Contains(e.Label!))] };

    /// <summary>Every task's test rows, shuffled together (seeded): (task index, row index) pairs.</summary>
    public static IReadOnlyList<(int Task, int Row)> ShuffledUnion(IReadOnlyList<SuiteTask> tasks, int seed)
    {
        var union = tasks.SelectMany((t, i) => Enumerable.Range(0, t.Test.Count).Select(r => (i, r))).ToArray();
        new Random(seed).Shuffle(union);
        return union;
    }
}
