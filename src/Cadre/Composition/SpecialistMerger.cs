using System.Diagnostics;
using System.Globalization;
using Cadre.Merge;
using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tasks;
using Cadre.Training;
using static TorchSharp.torch;

namespace Cadre.Composition;

/// <summary>What a merge produced: the stored record, and what the user should know about it.</summary>
public sealed record MergeOutcome(SpecialistRecord Record, IReadOnlyList<string> Notes);

/// <summary>
/// Merges stored specialists into a new one that keeps every input's task head and answers every input's task:
/// checks the request (<see cref="MergePlan"/>), reads each input's task vectors lazily, estimates Fisher
/// information where the method needs it, merges one tensor at a time into a staging folder, optionally evaluates
/// every task on its recorded splits, and stores the result through <see cref="SpecialistCatalog.Save"/> like any
/// trained specialist (with its tasks, its lineage and its inference contract). This is the API a suite runner calls.
/// </summary>
public static class SpecialistMerger
{
    public static MergeOutcome Merge(string home, MergeRequest request, Action<string>? log = null, CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        var plan = MergePlan.Check(home, request);
        var method = MergeMethods.Get(request.Method);
        var notes = plan.Notes.ToList();
        var baseName = plan.Inputs[0].Base.Name;
        var bases = new BaseCatalog(home);
        var needsBase = plan.Output == "full";
        using var encoder = needsBase ? BaseModels.LoadEncoder(bases, baseName) : null;
        using var scope = NewDisposeScope();
        var baseState = encoder?.Module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach(), StringComparer.Ordinal);
        var sources = new List<IDisposable>();
        using var lease = StagingLease.Create(home, "merge", folder: false); // held until merged: gc leaves it alone
        var staging = lease.Path;
        try
        {
            var vectors = plan.Inputs.Select((r, i) => Track(sources, TaskVectorSource.Open(r.Name, r.Method, plan.Folders[i], baseState))).ToList();
            var (keys, shapeErrors) = Merger.Union(vectors);
            if (shapeErrors.Count > 0)
                throw new CadreException("cannot merge: " + string.Join("; ", shapeErrors));
            foreach (var v in vectors.Where(v => v.Shapes.Count > 0 && v.Shapes.Count < keys.Count))
                notes.Add($"'{v.Name}' changes {v.Shapes.Count} of the {keys.Count} merged tensors; it counts as zero for the others");
            var fisher = new Dictionary<int, FisherEstimate>();
            var fisherOptions = FisherOptionsOf(request.Parameters);
            if (method.NeedsFisher && keys.Count > 0)
                for (var i = 0; i < plan.Inputs.Count; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    fisher[i] = FisherEstimator.Estimate(home, plan.Inputs[i], plan.Folders[i], keys, fisherOptions, log, cancel);
                }
            // Head-only inputs leave nothing to merge; the Fisher method then gets an empty Fisher per input.
            var inputs = plan.Inputs.Select((r, i) => new MergeInput(vectors[i], request.Inputs[i].Weight,
                fisher.TryGetValue(i, out var f) ? Track(sources, new FileTensorSource(r.Name + " Fisher", f.File))
                    : method.NeedsFisher ? EmptyFisher.Instance : null,
                fisher.TryGetValue(i, out var g) ? g.Norm : 0)).ToList();
            var merger = new Merger(method, request.Parameters, inputs);

            Directory.CreateDirectory(staging);
            foreach (var (task, _, folder) in plan.Tasks)
                File.Copy(Path.Combine(folder, task.Head), Path.Combine(staging, TaskRecord.HeadFileFor(task.Name)));
            log?.Invoke($"merging {keys.Count} tensors of {plan.Inputs.Count} specialists with {method.Name} into a {plan.Output} specialist");
            int? rank = null;
            Dictionary<string, double>? errors = null;
            switch (plan.Output)
            {
                case "lora":
                    rank = request.Rank ?? vectors.Max(v => v.Rank);
                    errors = MergedAdapterWriter.WriteLora(merger, staging, rank.Value, baseName);
                    break;
                case "ia3":
                    MergedAdapterWriter.WriteIa3(merger, staging, vectors.SelectMany(v => v.InputScaled).ToHashSet(StringComparer.Ordinal), baseName);
                    break;
                case "full":
                    MergedAdapterWriter.WriteFull(merger, staging, baseState!);
                    break;
            }
            if (errors is not null)
                log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"factored back to rank {rank}: relative reconstruction error {errors["total"]:F4} over all sites"));

            var record = Record(request, plan, method, notes, rank, errors, fisher, fisherOptions, watch.Elapsed.TotalSeconds, staging);
            if (request.Evaluate)
                record = Evaluated(home, record, staging, log, cancel);
            new SpecialistCatalog(home).Save(record, target =>
            {
                foreach (var file in Directory.GetFiles(staging))
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }, $"merge {method.Name} of {string.Join(", ", plan.Versions.Select(v => $"{v.Name}@{v.Number}"))}");
            return new MergeOutcome(record, notes);
        }
        finally
        {
            foreach (var s in sources) s.Dispose();
        }
    }

    private static SpecialistRecord Record(MergeRequest request, MergePlan plan, IMergeMethod method, List<string> notes, int? rank,
        Dictionary<string, double>? errors, Dictionary<int, FisherEstimate> fisher, FisherOptions fisherOptions, double seconds, string staging)
    {
        var adapter = InferenceAdapter.For(plan.Output);
        long adapterParameters = 0;
        if (adapter.Weights is { } adapterFile)
        {
            using var reader = Tensors.SafetensorsReader.Open(Path.Combine(staging, adapterFile));
            adapterParameters = reader.Tensors.Sum(t => t.ElementCount);
        }
        var parameters = method.Effective(request.Parameters).ToDictionary();
        return new SpecialistRecord
        {
            FormatVersion = SpecialistRecord.ContractVersion, Name = request.Name, Task = SpecialistRecord.MultiTask, Method = plan.Output,
            Labels = [], Base = plan.Inputs[0].Base, Metrics = new Dictionary<string, IReadOnlyDictionary<string, double>>(),
            Data = new Dictionary<string, DataReference>(), Spec = null,
            Training = new Dictionary<string, double> { ["seconds"] = Math.Round(seconds, 2), ["adapter_parameters"] = adapterParameters },
            Tasks = plan.Tasks.Select(t => t.Task with { Head = TaskRecord.HeadFileFor(t.Task.Name), Metrics = new Dictionary<string, IReadOnlyDictionary<string, double>>() }).ToList(),
            // Each input's task as it served, its head copied under the merged name; the adapter is the merge's output.
            Inference = new InferenceContract
            {
                Base = plan.Inputs[0].Base, Adapter = adapter,
                Tasks = [.. plan.Tasks.Select(t => t.Contract with { Head = TaskRecord.HeadFileFor(t.Task.Name) })],
            },
            Merge = new MergeLineage
            {
                Method = method.Name, Parameters = parameters, Output = plan.Output, Rank = rank, ReconstructionError = errors, Notes = notes,
                Seconds = Math.Round(seconds, 2),
                Inputs = plan.Inputs.Select((r, i) => new MergeInputRecord
                {
                    Name = r.Name, Method = r.Method, Weight = request.Inputs[i].Weight, ContentHash = SpecialistIdentity.ContentHash(plan.Folders[i]),
                    Version = plan.Versions[i].Id, VersionNumber = plan.Versions[i].Number,
                    CreatedAt = r.CreatedAt, Tasks = r.TaskList.ToDictionary(t => t.Name, t => t.Metrics),
                    Fisher = fisher.TryGetValue(i, out var f) ? f.Describe(fisherOptions) : null,
                }).ToList(),
            },
        };
    }

    /// <summary>The record with each task's metrics measured on the merged model, on the splits its training recorded.</summary>
    private static SpecialistRecord Evaluated(string home, SpecialistRecord record, string folder, Action<string>? log, CancellationToken cancel)
    {
        using var model = SpecialistModel.Load(home, record, folder);
        var tasks = new List<TaskRecord>();
        foreach (var task in record.TaskList)
        {
            cancel.ThrowIfCancellationRequested();
            var problems = TrainingData.Check(task.Data);
            if (problems.Count > 0)
            {
                log?.Invoke($"  {task.Name}: not evaluated: {string.Join("; ", problems)}");
                tasks.Add(task);
                continue;
            }
            var data = TrainingData.Load(task.Spec);
            var metrics = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["validation"] = model.Evaluate(data.Validation, task.Name).Summary() };
            if (data.Test is { } test)
            {
                var seen = task.Labels.ToHashSet(StringComparer.Ordinal);
                var known = test with { Examples = test.Examples.Where(e => (e.Labels ?? (e.Label is null ? [] : [e.Label])).All(seen.Contains)).ToList() };
                metrics["test"] = model.Evaluate(known, task.Name).Summary();
            }
            log?.Invoke($"  {task.Name}: " + string.Join("; ", metrics.Select(m => $"{m.Key} {MetricText.Line(m.Value)}")));
            tasks.Add(task with { Metrics = metrics });
        }
        return record with { Tasks = tasks };
    }

    private static FisherOptions FisherOptionsOf(MergeSettings s) => new()
    {
        Examples = s.FisherExamples ?? 512, Labels = s.FisherLabels ?? "expected", Classes = s.FisherClasses ?? 8, Seed = s.Seed ?? 1,
    };

    private static T Track<T>(List<IDisposable> owned, T item) where T : IDisposable
    {
        owned.Add(item);
        return item;
    }

    /// <summary>The Fisher of a merge with nothing to merge (head-only inputs): no keys.</summary>
    private sealed class EmptyFisher : ITensorSource
    {
        public static readonly EmptyFisher Instance = new();
        public string Name => "empty";
        public IReadOnlyDictionary<string, long[]> Shapes { get; } = new Dictionary<string, long[]>();
        public Tensor Read(string key) => throw new InvalidOperationException("no tensors");
    }
}
