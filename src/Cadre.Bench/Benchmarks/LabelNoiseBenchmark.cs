using Cadre.Data;
using Cadre.Data.Quality;
using Cadre.Models.Import;
using Cadre.Store;
using Cadre.Tasks;
using Cadre.Training;
using Cadre.Specs;
using static TorchSharp.torch;

namespace Cadre.Benchmarks;

/// <summary>One task at one noise rate (0 = the data as published).</summary>
public sealed record NoiseRow(string Task, double Rate, int Rows, int Flipped, int Issues, int Hits,
                              double NoisyAccuracy, double CuratedAccuracy, double RelabelledAccuracy, double OriginalAccuracy, double C)
{
    public double Precision => Issues == 0 ? 0 : (double)Hits / Issues;
    public double Recall => Flipped == 0 ? 0 : (double)Hits / Flipped;
}

/// <summary>
/// <c>cadre bench label-noise SPEC</c>: for each specialist of the spec (its train, validation and test files), flip
/// a share of the training labels (seeded, uniformly to another class), find label issues as <c>cadre data check</c>
/// does (5-fold heads on frozen embeddings, confident learning), score them against the flips, and train head
/// specialists (the <c>head</c> method's training loop and defaults, over cached embeddings) on the noisy data,
/// the noisy data with the issues removed, with the issues relabelled, and the original data; each is measured on
/// the untouched test file. Rate 0 checks the published data: its issues are listed for a reader to judge.
/// </summary>
public static class LabelNoiseBenchmark
{
    public sealed record TaskResult(string Task, IReadOnlyList<NoiseRow> Rows, IReadOnlyList<LabelIssueFinding> OriginalIssues);

    public static TaskResult Run(string home, SpecialistSpec spec, IReadOnlyList<double> rates, int seed, Action<string>? log,
                                 CancellationToken cancel = default)
    {
        var train = DatasetReader.Read(SpecFile.Source(spec, spec.Data.Train, "train"));
        if (spec.Data.SampleSize is { } size && size < train.Count)
            train = Splits.Stratified(train, (double)size / train.Count, spec.Training.Seed + 1).Validation;
        var test = DatasetReader.Read(SpecFile.Source(spec, spec.Data.Test ?? throw new CadreException($"{spec.Name}: needs a test file"), "test"));
        var validation = spec.Data.Validation is { } v ? DatasetReader.Read(SpecFile.Source(spec, v, "validation")) : null;
        var labels = train.Labels;
        test = test with { Examples = test.Examples.Where(e => labels.Contains(e.Label!)).ToList() };

        var catalog = new BaseCatalog(home);
        var hash = catalog.Get(spec.Base).ContentHash;
        using var encoder = BaseModels.LoadEncoder(catalog, spec.Base);
        var cache = new EmbeddingCache(home);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var parts = new List<Tensor>();
        var rowOf = new Dictionary<Example, int>(ReferenceEqualityComparer.Instance);
        foreach (var d in new[] { train, validation, test }.OfType<Dataset>())
        {
            parts.Add(cache.Embed(encoder, hash, d.Examples.Select(e => e.Text).ToList(), spec.Training.MaxLength, out _));
            foreach (var e in d.Examples) rowOf[e] = rowOf.Count;
        }
        using var all = cat(parts, 0); // (train + validation + test, D)
        foreach (var p in parts) p.Dispose();
        using var trainFeatures = all.narrow(0, 0, train.Count);
        log?.Invoke($"{spec.Name}: {train.Count:N0} training rows embedded in {watch.Elapsed.TotalSeconds:F0} s");

        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var original = train.Examples.Select(e => index[e.Label!]).ToArray();
        var trainer = new HeadTrainer(all, rowOf, labels, test, validation, spec.Training);
        var originalAccuracy = trainer.Accuracy(train.Examples);
        var rows = new List<NoiseRow>();
        IReadOnlyList<LabelIssueFinding> originalIssues = [];
        foreach (var rate in rates.Prepend(0))
        {
            cancel.ThrowIfCancellationRequested();
            var random = new Random(seed + (int)Math.Round(rate * 1000));
            var flipped = Enumerable.Range(0, train.Count).ToArray();
            random.Shuffle(flipped);
            flipped = flipped[..(int)Math.Round(rate * train.Count)];
            var given = (int[])original.Clone();
            foreach (var r in flipped) given[r] = (given[r] + 1 + random.Next(labels.Count - 1)) % labels.Count; // uniformly another class
            var noisy = Relabel(train.Examples, given, labels, rowOf);
            var (probabilities, c) = OutOfFold.Probabilities(trainFeatures, given, labels.Count, new OutOfFoldOptions { Seed = seed }, cancel);
            var issues = ConfidentLearning.FindIssues(given, probabilities, labels.Count).Issues;
            var issueRows = issues.Select(i => i.Row).ToHashSet();
            var curated = noisy.Where((_, i) => !issueRows.Contains(i)).ToList();
            var fixedLabels = (int[])given.Clone();
            foreach (var i in issues) fixedLabels[i.Row] = i.Suggested;
            var relabelled = Relabel(train.Examples, fixedLabels, labels, rowOf);
            var row = new NoiseRow(spec.Name, rate, train.Count, flipped.Length, issues.Count, flipped.Count(issueRows.Contains),
                                   rate == 0 ? originalAccuracy : trainer.Accuracy(noisy), trainer.Accuracy(curated),
                                   trainer.Accuracy(relabelled), originalAccuracy, c);
            rows.Add(row);
            log?.Invoke($"{spec.Name} at {rate:P0}: {issues.Count} issues, precision {row.Precision:P1}, recall {row.Recall:P1}; test accuracy noisy {row.NoisyAccuracy:F4}, curated {row.CuratedAccuracy:F4}, relabelled {row.RelabelledAccuracy:F4}, original {originalAccuracy:F4}");
            if (rate == 0)
                originalIssues = issues.Select(i => new LabelIssueFinding(i.Row, train.File, train.Examples[i.Row].Line, train.Examples[i.Row].Text,
                    labels[i.Given], labels[i.Suggested], i.SelfConfidence, probabilities[i.Row][i.Suggested])).ToList();
        }
        return new TaskResult(spec.Name, rows, originalIssues);
    }

    public static string Markdown(IReadOnlyList<TaskResult> results, string commandLine, int top)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("## Label noise: finding flipped labels, and what curation buys").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine("| task | noise | rows | flipped | issues | precision | recall | C | test acc. noisy | curated (removed) | curated (relabelled) | original |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results.SelectMany(t => t.Rows))
            sb.AppendLine(string.Create(ci, $"| {r.Task} | {r.Rate:P0} | {r.Rows:N0} | {r.Flipped:N0} | {r.Issues:N0} | {(r.Rate == 0 ? "–" : r.Precision.ToString("P1", ci))} | {(r.Rate == 0 ? "–" : r.Recall.ToString("P1", ci))} | {r.C:G2} | {r.NoisyAccuracy:F4} | {r.CuratedAccuracy:F4} | {r.RelabelledAccuracy:F4} | {r.OriginalAccuracy:F4} |"));
        foreach (var t in results)
        {
            sb.AppendLine().AppendLine($"### {t.Task}: the {Math.Min(top, t.OriginalIssues.Count)} top-ranked of {t.OriginalIssues.Count} issues in the published training data").AppendLine();
            sb.AppendLine("| # | line | given | suggested (p) | self-confidence | text |").AppendLine("|---:|---:|---|---|---:|---|");
            foreach (var (i, k) in t.OriginalIssues.Take(top).Select((i, k) => (i, k)))
                sb.AppendLine(string.Create(ci, $"| {k + 1} | {i.Line} | {i.Given} | {i.Suggested} ({i.SuggestedProbability:F2}) | {i.Score:F4} | {i.Text.Replace("|", "\\|").ReplaceLineEndings(" ")} |"));
        }
        return sb.ToString();
    }

    /// <summary>Copies of the examples with new labels, mapped to the same embedding rows.</summary>
    private static List<Example> Relabel(IReadOnlyList<Example> examples, int[] labelIndex, IReadOnlyList<string> labels, Dictionary<Example, int> rowOf)
    {
        var copies = new List<Example>(examples.Count);
        for (var i = 0; i < examples.Count; i++)
        {
            var copy = examples[i] with { Label = labels[labelIndex[i]] };
            rowOf[copy] = rowOf[examples[i]];
            copies.Add(copy);
        }
        return copies;
    }

    /// <summary>Trains head specialists as <c>cadre train</c> does for <c>method: head</c>, over embeddings looked up by example.</summary>
    private sealed class HeadTrainer(Tensor all, Dictionary<Example, int> rowOf, IReadOnlyList<string> labels, Dataset test,
                                     Dataset? validation, TrainingSpec training)
    {
        public double Accuracy(IReadOnlyList<Example> examples)
        {
            using var scope = NewDisposeScope();
            var data = new Dataset(test.File, TaskKind.Classification, examples, labels, []);
            var (fit, held) = validation is null ? Splits.Stratified(data, 0.1, training.Seed) : (data, validation);
            var objective = TaskObjective.For(TaskKind.Classification, labels);
            var source = new LookupFeatures(all, rowOf, fit.Examples);
            using var head = new ClassifierHead(all.shape[1], labels.Count, training.Seed);
            using (var x = source.Evaluate(fit)) head.Standardize(x);
            TrainingLoop.Run(source, head, new LoopInputs(objective, fit.Examples, new int[fit.Count], held, training,
                                                          training.LearningRateFor("head"), "accuracy"), CancellationToken.None);
            using var t = source.Evaluate(test); // (T, D)
            return ((ClassificationMetrics)objective.Evaluate(head, t, test.Examples)).Accuracy;
        }
    }

    private sealed class LookupFeatures(Tensor all, Dictionary<Example, int> rowOf, IReadOnlyList<Example> fit) : IFeatureSource
    {
        public Tensor Train(int[] rows) => all.index_select(0, tensor(rows.Select(r => (long)rowOf[fit[r]]).ToArray())); // (B, D)

        public Tensor Evaluate(Dataset data) => all.index_select(0, tensor(data.Examples.Select(e => (long)rowOf[e]).ToArray())); // (N, D)

        public IReadOnlyList<TorchSharp.Modules.Parameter> Parameters => [];

        public IReadOnlyDictionary<string, Tensor> State() => new Dictionary<string, Tensor>();

        public void Restore(IReadOnlyDictionary<string, Tensor> state) { }
    }
}
