using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tasks;
using Cadre.Tensors;
using Cadre.Specs;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>What one specialist's training produced, for the summary the CLI prints.</summary>
public sealed record TrainOutcome(SpecialistRecord Record, DataCheckReport Check, IReadOnlyList<EpochLog> Epochs, bool Resumed, VersionInfo Version);

/// <summary>
/// Training finished but storing the specialist failed (after <see cref="StoreRetry"/>'s tries): the trained weights
/// are kept as a finished checkpoint in <see cref="CheckpointFolder"/>, which a run with
/// <see cref="TrainOptions.Resume"/> stores without training again.
/// </summary>
public sealed class TrainingNotStoredException(string name, string checkpointFolder, Exception inner)
    : CadreException($"trained specialist '{name}' could not be stored ({inner.Message}); its weights are kept in {checkpointFolder}", inner)
{
    public string Name { get; } = name;
    public string CheckpointFolder { get; } = checkpointFolder;
}

/// <summary>Callbacks and switches of one training run.</summary>
public sealed record TrainOptions
{
    public Action<string>? Log { get; init; }
    public Action<EpochLog>? OnEpoch { get; init; }
    public Action<StepProgress>? OnStep { get; init; }
    /// <summary>Hears the long steps' done/total: embedding the rows (head method) and training.</summary>
    public IProgress<Util.ProgressUpdate>? Progress { get; init; }
    /// <summary>Continue from the checkpoint an interrupted run left (see <see cref="TrainingCheckpoint"/>).</summary>
    public bool Resume { get; init; }
}

/// <summary>
/// Trains the specialists of a spec end to end: read and check the data, hold out validation when none is given,
/// train the head (and the adapter) on the frozen base, evaluate on test, and store the specialist with its
/// provenance. Runs leave a checkpoint under <c>CADRE_HOME/runs/NAME</c> until they finish.
/// </summary>
public sealed class SpecialistTrainer(string home)
{
    /// <summary>Training texts whose embeddings set an adapter head's standardization (a sample keeps it cheap).</summary>
    private const int StandardizationSample = 512;

    public string CheckpointFolder(string name) => Path.Combine(home, "runs", name);

    public TrainOutcome Train(SpecialistSpec spec, TrainOptions options, CancellationToken cancel = default)
    {
        var log = options.Log;
        var method = spec.Adapter.Method;
        var adapterMethod = method == "head" ? null : AdapterMethods.Get(method);
        var data = TrainingData.Load(spec, log);
        var (train, fit, validation, test, labels) = (data.Train, data.Fit, data.Validation, data.Test, data.Labels);
        var check = DataCheck.Run(train, new[] { spec.Data.Validation is null ? null : validation, test }.OfType<Dataset>().ToArray());
        log?.Invoke(check.Render().TrimEnd());
        var targets = fit.Examples.Select(e => e.Target ?? 0).ToList();
        var (targetMean, targetStd) = (targets.Count == 0 ? 0 : targets.Average(), Spread(targets));
        var objective = TaskObjective.For(spec.Task, labels, targetStd);

        var catalog = new BaseCatalog(home);
        var baseRecord = catalog.Get(spec.Base);
        var dataHashes = new[] { ("train", (Dataset?)train), ("validation", spec.Data.Validation is null ? null : validation), ("test", test) }
            .Where(p => p.Item2 is not null)
            .ToDictionary(p => p.Item1, p => new DataReference(p.Item2!.File, TrainingData.FileHash(p.Item2.File), p.Item2.Count));
        var watch = System.Diagnostics.Stopwatch.StartNew(); // training time includes loading the base and caching features
        using var encoder = BaseModels.LoadEncoder(catalog, spec.Base);
        // Before any adapter changes the base's embeddings: what routers need later (docs/formats.md, routing.safetensors).
        var routing = RoutingSample.Capture(spec, encoder, train, labels);
        using var adapter = adapterMethod?.Create(encoder, spec.Adapter, spec.Training.Seed, baseRecord.Name);
        var texts = fit.Examples.Select(e => e.Text).ToList();
        var maxLength = spec.Training.MaxLength;
        using var cached = adapter is null ? AdapterFeatures.Embed(encoder, null, texts, maxLength, progress: options.Progress) : null;
        IFeatureSource source = adapter is null ? new CachedFeatures(encoder, cached!, maxLength)
            : new AdapterFeatures(encoder, adapter, texts, spec.Training.MaxLength, spec.Training.BatchSize * 2);
        using var head = new ClassifierHead(encoder.Dimension, objective.Outputs, spec.Training.Seed, spec.Task == TaskKind.Regression);
        if (head.Regression)
            head.ScaleTargets(targetMean, targetStd);
        using (var sample = cached is null ? AdapterFeatures.Embed(encoder, adapter, texts.Take(StandardizationSample).ToList(), spec.Training.MaxLength) : null)
            head.Standardize(sample ?? cached!);

        var lengths = adapter is null ? texts.Select(_ => 0).ToArray() : texts.Select(encoder.CountTokens).ToArray();
        var learningRate = spec.Training.LearningRateFor(method);
        var metric = spec.Training.MetricFor(spec.Task);
        var headLearningRate = spec.Training.HeadLearningRateFor(method);
        var checkpoint = new TrainingCheckpoint(CheckpointFolder(spec.Name));
        var inputs = new LoopInputs(objective, fit.Examples, lengths, validation, spec.Training, learningRate, metric)
        {
            HeadLearningRate = headLearningRate,
            OnEpoch = options.OnEpoch, OnStep = options.OnStep, Progress = options.Progress, Resume = options.Resume,
            Checkpoint = checkpoint, KeepCheckpoint = true, // deleted below, once the specialist is stored
            Fingerprint = Fingerprint(spec, dataHashes, baseRecord.ContentHash),
        };
        var result = TrainingLoop.Run(source, head, inputs, cancel);

        var seconds = result.Resumed ? result.Seconds : watch.Elapsed.TotalSeconds;
        var metrics = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["validation"] = result.Validation.Summary() };
        if (test is not null)
        {
            var seen = labels.ToHashSet(StringComparer.Ordinal);
            var known = test with { Examples = test.Examples.Where(e => (e.Labels ?? (e.Label is null ? [] : [e.Label])).All(seen.Contains)).ToList() };
            if (known.Count < test.Count)
                log?.Invoke($"test: {test.Count - known.Count} rows carry labels the specialist never saw; evaluated on the other {known.Count}");
            using var x = source.Evaluate(known);
            metrics["test"] = objective.Evaluate(head, x, known.Examples).Summary();
        }
        var baseReference = new BaseReference(baseRecord.Name, baseRecord.Architecture, baseRecord.ContentHash);
        var record = new SpecialistRecord
        {
            Name = spec.Name, Task = spec.Task.ToString().ToLowerInvariant(), Method = method, Labels = labels,
            Base = baseReference,
            Metrics = metrics, Spec = spec with { Training = spec.Training with { LearningRate = learningRate, HeadLearningRate = headLearningRate, Metric = metric } }, Data = dataHashes,
            Training = new Dictionary<string, double>
            {
                ["best_epoch"] = result.BestEpoch, ["epochs_run"] = result.Epochs.Count,
                ["seconds"] = Math.Round(seconds, 2),
                ["examples_per_second"] = Math.Round(fit.Count * (double)result.Epochs.Count / Math.Max(1e-9, seconds), 1),
                ["trainable_parameters"] = head.parameters().Sum(p => p.numel()) + (adapter?.TrainableParameterCount ?? 0),
                ["adapter_parameters"] = adapter?.TrainableParameterCount ?? 0,
                ["learning_rate"] = learningRate,
                ["head_learning_rate"] = headLearningRate,
            },
            // What serving reads: the head above, the adapter as AdapterFiles.Save writes it, texts cut as in training.
            Inference = new InferenceContract
            {
                Base = baseReference,
                Adapter = InferenceAdapter.For(method),
                Tasks = [new InferenceTask
                {
                    Name = spec.Name, Kind = spec.Task, Labels = labels, Head = SpecialistRecord.HeadFile,
                    Outputs = objective.Outputs, MaxLength = maxLength,
                }],
            },
        };
        var headline = metrics.TryGetValue("test", out var tm) ? ("test", tm) : ("validation", metrics["validation"]);
        var (metricName, metricValue) = MetricText.Headline(headline.Item2);
        var message = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"train {method} on {baseRecord.Name} ({train.Count} rows, {result.Epochs.Count} epochs): {headline.Item1} {metricName} {metricValue:F4}");
        VersionInfo version;
        try
        {
            version = new SpecialistCatalog(home).Save(record, folder =>
            {
                SafetensorsWriter.Write(Path.Combine(folder, SpecialistRecord.HeadFile), head.state_dict(),
                                        new Dictionary<string, string> { ["format"] = "cadre", ["method"] = method });
                if (adapter is not null)
                    AdapterFiles.Save(adapter, folder);
                routing.Write(folder);
                FiniteCheck.RequireFiniteFiles(folder, spec.Name); // once more, on what is about to be committed
            }, message, log);
        }
        catch (TrainingDivergedException)
        {
            checkpoint.Delete(); // a diverged run's weights are worth nothing: store nothing, keep nothing
            throw;
        }
        catch (Exception e) when (e is CadreException or IOException or UnauthorizedAccessException)
        {
            // Never lose a run to a busy or failing store: keep the trained weights where --resume finds them.
            TrainingLoop.SaveFinished(inputs, source, head, result);
            throw new TrainingNotStoredException(spec.Name, checkpoint.Folder, e);
        }
        checkpoint.Delete();
        return new TrainOutcome(record, check, result.Epochs, result.Resumed, version);
    }

    /// <summary>Population standard deviation of regression targets (1 when there are none).</summary>
    private static double Spread(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return 1;
        var mean = values.Average();
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }

    private static string Fingerprint(SpecialistSpec spec, IReadOnlyDictionary<string, DataReference> data, string baseHash)
    {
        var text = JsonSerializer.Serialize(spec, SpecialistCatalog.Json) + "|" + baseHash + "|"
                   + string.Join("|", data.OrderBy(p => p.Key).Select(p => p.Key + "=" + p.Value.Sha256));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
