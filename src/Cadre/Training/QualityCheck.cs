using System.Diagnostics;
using Cadre.Adapters;
using Cadre.Data;
using Cadre.Data.Quality;
using Cadre.Embeddings;
using Cadre.Models.Import;
using Cadre.Store;
using Cadre.Specs;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>Settings of <see cref="QualityCheck"/>; every default is what <c>cadre data check</c> uses.</summary>
public sealed record QualityCheckOptions
{
    public DataCheckOptions Check { get; init; } = new();
    /// <summary>Run the model-based stages (label issues, outliers). Default true; off, only hashing runs.</summary>
    public bool UseModel { get; init; } = true;
    public string Base { get; init; } = "use-lite";
    /// <summary><c>head</c> (default: cross-validated heads on cached frozen embeddings) or an adapter method such as <c>lora</c>.</summary>
    public string Method { get; init; } = "head";
    public OutOfFoldOptions OutOfFold { get; init; } = new();
    /// <summary>The adapter and training settings when <see cref="Method"/> is an adapter; defaults as <c>cadre train</c>'s.</summary>
    public AdapterSpec Adapter { get; init; } = new();
    public TrainingSpec Training { get; init; } = new();
    /// <summary>Tokens kept per text when embedding. Default 128, as training's.</summary>
    public int MaxLength { get; init; } = 128;
    /// <summary>Neighbours behind the outlier score. Default 10 (cleanlab Datalab's k).</summary>
    public int Neighbours { get; init; } = 10;
    /// <summary>Keep embeddings in CADRE_HOME/cache/embeddings. Default true.</summary>
    public bool Cache { get; init; } = true;
    /// <summary>
    /// The share of train that training would hold out for validation (<see cref="DataSufficiency"/>). Default 0.1, as
    /// <c>validation_split</c>'s; null when the first evaluation set is the validation file.
    /// </summary>
    public double? ValidationSplit { get; init; } = 0.1;
    /// <summary>The name sufficiency messages start with (the specialist's); default the training file's name.</summary>
    public string? Name { get; init; }
    public Action<string>? Log { get; init; }
    /// <summary>Hears the long stages' done/total (embedding every training row).</summary>
    public IProgress<Util.ProgressUpdate>? Progress { get; init; }
}

/// <summary>
/// The whole data check, stage by stage, each timed: hashing (<see cref="DataCheck"/>: duplicates, conflicts, leaks,
/// balance), embedding every training row once with the frozen base (cached), out-of-fold probabilities
/// (<see cref="OutOfFold"/>, or <see cref="OutOfFoldAdapter"/>), confident learning, and outliers by the mean
/// cosine distance to the k nearest neighbours (<see cref="KnnGraph"/>).
/// </summary>
public static class QualityCheck
{
    public static QualityReport Run(string home, TableSource train, IReadOnlyList<TableSource> evaluation, QualityCheckOptions options,
                                    bool skipInvalid = false, CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        var trainSet = DatasetReader.Read(train, skipInvalid);
        var others = evaluation.Select(e => DatasetReader.Read(e, skipInvalid)).ToList();
        var read = new StageTime("read", watch.Elapsed.TotalSeconds, $"{trainSet.Count:N0} training rows, {others.Sum(o => o.Count):N0} evaluation rows");
        return Run(home, trainSet, others, options, [read], cancel);
    }

    public static QualityReport Run(string home, Dataset train, IReadOnlyList<Dataset> evaluation, QualityCheckOptions options,
                                    IReadOnlyList<StageTime>? earlier = null, CancellationToken cancel = default)
    {
        var stages = new List<StageTime>(earlier ?? []);
        var notes = new List<string>();
        var log = options.Log;
        var watch = Stopwatch.StartNew();
        var check = DataCheck.Run(train, evaluation, options.Check);
        stages.Add(new StageTime("duplicates and leakage", watch.Elapsed.TotalSeconds, "exact, normalized, MinHash near"));
        log?.Invoke($"duplicates and leakage: {watch.Elapsed.TotalSeconds:F1} s");
        var imbalance = QualityRules.Imbalance(check.Classes);
        var sufficiency = Sufficiency(train, evaluation, options);
        var report = new QualityReport(train, evaluation, check, [], [], train.Task == TaskKind.Regression ? [] : imbalance, stages, notes)
        {
            Errors = sufficiency.Errors,
            Warnings = [.. new[] { train }.Concat(evaluation).SelectMany(d => d.Warnings).Select(w => w.ToString()).Concat(sufficiency.Warnings)],
        };
        if (!sufficiency.Sufficient)
        {
            notes.Add("label issues and outliers not searched: too little data to train on");
            return report;
        }
        if (!options.UseModel)
        {
            notes.Add("label issues and outliers not searched (--no-model)");
            return report;
        }
        if (train.Count < 2 * options.OutOfFold.Folds)
        {
            notes.Add($"label issues and outliers need at least {2 * options.OutOfFold.Folds} rows; the file has {train.Count}");
            return report;
        }

        var catalog = new BaseCatalog(home);
        var baseRecord = catalog.Get(options.Base);
        watch.Restart();
        using var encoder = BaseModels.LoadEncoder(catalog, options.Base);
        var texts = train.Examples.Select(e => e.Text).ToList();
        using var embeddings = new EmbeddingCache(home).Embed(encoder, baseRecord.ContentHash, texts, options.MaxLength, out var hit, options.Cache, options.Progress);
        stages.Add(new StageTime("embed", watch.Elapsed.TotalSeconds, hit ? $"{texts.Count:N0} rows from the cache" : $"{texts.Count:N0} rows with {options.Base}"));
        log?.Invoke($"embed: {watch.Elapsed.TotalSeconds:F1} s ({(hit ? "cached" : "computed")})");

        var labelIssues = new List<LabelIssueFinding>();
        var method = (string?)null;
        if (train.Task == TaskKind.Classification && train.Labels.Count >= 2)
        {
            watch.Restart();
            var labels = train.Labels;
            var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
            var given = train.Examples.Select(e => index[e.Label!]).ToArray();
            var (probabilities, c) = options.Method == "head"
                ? OutOfFold.Probabilities(embeddings, given, labels.Count, options.OutOfFold, cancel)
                : (OutOfFoldAdapter.Probabilities(encoder, baseRecord.Name, train, labels, options.Adapter with { Method = options.Method },
                                                 options.Training with { MaxLength = options.MaxLength, Seed = options.OutOfFold.Seed },
                                                 options.OutOfFold.Folds, log, cancel), double.NaN);
            var accuracy = Enumerable.Range(0, given.Length).Count(i => ArgMax(probabilities[i]) == given[i]) / (double)given.Length;
            stages.Add(new StageTime("out-of-fold probabilities", watch.Elapsed.TotalSeconds,
                                     $"{options.OutOfFold.Folds} folds of {options.Method}{(double.IsNaN(c) ? "" : $" (C {c:G2})")}, out-of-fold accuracy {accuracy:P1} against the given labels"));
            log?.Invoke($"out-of-fold probabilities: {watch.Elapsed.TotalSeconds:F1} s");
            watch.Restart();
            var result = ConfidentLearning.FindIssues(given, probabilities, labels.Count);
            labelIssues = result.Issues.Select(i =>
            {
                var e = train.Examples[i.Row];
                return new LabelIssueFinding(i.Row, e.File, e.Line, e.Text, labels[i.Given], labels[i.Suggested], i.SelfConfidence,
                                             probabilities[i.Row][i.Suggested]);
            }).ToList();
            stages.Add(new StageTime("confident learning", watch.Elapsed.TotalSeconds, $"{labelIssues.Count:N0} issues"));
            method = options.Method;
        }
        else
            notes.Add(train.Task == TaskKind.Classification ? "label issues need two classes or more" : $"label issues are searched for classification data only (this is {train.Task.ToString().ToLowerInvariant()})");

        watch.Restart();
        var (distances, _) = KnnGraph.Build(embeddings, options.Neighbours, cancel);
        var mean = distances.Select(d => d.Length == 0 ? 0 : d.Average(x => (double)x)).ToList();
        var (outlierRows, threshold) = QualityRules.Outliers(mean);
        var outliers = outlierRows.Select(o =>
        {
            var e = train.Examples[o.Row];
            return new OutlierFinding(o.Row, e.File, e.Line, e.Text, e.Label ?? string.Join(",", e.Labels ?? []), o.Score, o.Distance);
        }).ToList();
        stages.Add(new StageTime("outliers", watch.Elapsed.TotalSeconds, $"exact {options.Neighbours}-NN over {texts.Count:N0} rows, {outliers.Count:N0} beyond Q3 + 1.7 IQR"));
        log?.Invoke($"outliers: {watch.Elapsed.TotalSeconds:F1} s");
        return report with { LabelIssues = labelIssues, Outliers = outliers, Method = method, Folds = options.OutOfFold.Folds, OutlierThreshold = threshold };
    }

    /// <summary>What training would say about the amount of data: the same split, seed and minimums as <c>cadre train</c>.</summary>
    private static SufficiencyReport Sufficiency(Dataset train, IReadOnlyList<Dataset> evaluation, QualityCheckOptions options)
    {
        var validationFile = options.ValidationSplit is null ? evaluation.FirstOrDefault() : null;
        var tests = validationFile is null ? evaluation : evaluation.Skip(1).ToList();
        var (fit, validation) = validationFile is null ? Splits.Stratified(train, options.ValidationSplit ?? 0.1, options.Training.Seed) : (train, validationFile);
        var name = options.Name ?? Path.GetFileName(train.File);
        var reports = tests.Count == 0 ? [DataSufficiency.Check(name, train, fit, validation, null, options.ValidationSplit)]
            : tests.Select(t => DataSufficiency.Check(name, train, fit, validation, t, options.ValidationSplit)).ToList();
        return new SufficiencyReport([.. reports.SelectMany(r => r.Errors).Distinct()], [.. reports.SelectMany(r => r.Warnings).Distinct()]);
    }

    private static int ArgMax(float[] p)
    {
        var best = 0;
        for (var j = 1; j < p.Length; j++) if (p[j] > p[best]) best = j;
        return best;
    }
}
