using System.Text.Json.Serialization;
using Cadre.Tasks;
namespace Cadre.Specialists;

/// <summary>The base a specialist was trained on, pinned by content hash.</summary>
public sealed record BaseReference(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("content_hash")] string ContentHash);

/// <summary>A data file a specialist saw, by content hash.</summary>
public sealed record DataReference(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("rows")] int Rows);

/// <summary>How metric values read in one line: <c>accuracy 0.9120, macro-F1 0.9027, ECE 0.0246 (500 rows)</c>.</summary>
public static class MetricText
{
    private static readonly (string Key, string Name)[] Order =
    [
        ("accuracy", "accuracy"), ("subset_accuracy", "subset accuracy"), ("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"),
        ("hamming_loss", "Hamming loss"), ("ece", "ECE"), ("rmse", "RMSE"), ("mae", "MAE"), ("spearman", "Spearman"),
        ("pearson", "Pearson"),
    ];

    public static string Line(IReadOnlyDictionary<string, double> m)
    {
        var parts = Order.Where(o => m.ContainsKey(o.Key))
            .Select(o => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{o.Name} {m[o.Key]:F4}"));
        var rows = m.TryGetValue("count", out var c) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({c:F0} rows)") : "";
        return string.Join(", ", parts) + rows;
    }

    /// <summary>The headline value of a task's metrics: accuracy, micro-F1, or Spearman.</summary>
    public static (string Name, double Value) Headline(IReadOnlyDictionary<string, double> m) =>
        m.TryGetValue("accuracy", out var a) ? ("accuracy", a)
        : m.TryGetValue("micro_f1", out var f) ? ("micro-F1", f)
        : m.TryGetValue("spearman", out var s) ? ("Spearman", s) : ("", double.NaN);
}

/// <summary>
/// <c>cadre.json</c>: everything needed to trust and reuse a specialist — its base by content hash, labels, method,
/// the spec that made it, the data it saw by hash, and its metrics. Format version 1 describes one task at the top
/// level. Version 2 (a merged specialist) lists its tasks in <see cref="Tasks"/>, each with its own head file, and
/// its lineage in <see cref="Merge"/>; its top-level <see cref="Task"/> is <c>multitask</c> and its top-level
/// labels, metrics, data and spec are empty. Readers use <see cref="TaskList"/>, which is the same for both.
/// Version 3, what Cadre writes now, is either shape plus <see cref="Inference"/>: what serving and prediction read
/// (<see cref="Contract"/>, derived for versions 1 and 2).
/// </summary>
public sealed record SpecialistRecord
{
    public const string FileName = "cadre.json";
    public const string HeadFile = "head.safetensors";
    /// <summary>The first version: one task at the top level, no inference contract.</summary>
    public const int SingleTaskVersion = 1;
    /// <summary>The version of merged specialists (with <see cref="Tasks"/>) written before contracts existed.</summary>
    public const int MultiTaskVersion = 2;
    /// <summary>Either shape, with <see cref="Inference"/>: what Cadre writes.</summary>
    public const int ContractVersion = 3;
    public const int CurrentVersion = ContractVersion;
    /// <summary>The top-level <c>task</c> of a record with several tasks.</summary>
    public const string MultiTask = "multitask";

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }
    [JsonPropertyName("base")] public required BaseReference Base { get; init; }
    /// <summary>Per split (validation, test): the task's named metric values and the row count.</summary>
    [JsonPropertyName("metrics")] public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Metrics { get; init; }
    [JsonPropertyName("data")] public required IReadOnlyDictionary<string, DataReference> Data { get; init; }
    [JsonPropertyName("training")] public required IReadOnlyDictionary<string, double> Training { get; init; }
    /// <summary>The spec entry that trained it; null for a merged specialist (each task keeps its own).</summary>
    [JsonPropertyName("spec")] public required Specs.SpecialistSpec? Spec { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Version 2: every task the specialist answers, each with its head. Null in version 1.</summary>
    [JsonPropertyName("tasks"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<TaskRecord>? Tasks { get; init; }

    /// <summary>Version 2: how the specialist was merged, from which inputs. Null for a trained one.</summary>
    [JsonPropertyName("merge"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MergeLineage? Merge { get; init; }

    /// <summary>Version 3: what serving and prediction need (docs/formats.md). Null in versions 1 and 2.</summary>
    [JsonPropertyName("inference"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InferenceContract? Inference { get; init; }

    /// <summary>
    /// The inference contract whatever the version: <see cref="Inference"/>, or for a version 1 or 2 record the one
    /// its fields and training spec imply (derived on each call: hold on to it where it is read often).
    /// </summary>
    [JsonIgnore]
    public InferenceContract Contract => Inference ?? InferenceContract.Derive(this);

    /// <summary>
    /// The record under another name. A single-task specialist's task is named after it (<see cref="TaskList"/>),
    /// so its contract's task is renamed too.
    /// </summary>
    public SpecialistRecord Renamed(string name) => this with
    {
        Name = name,
        Inference = Inference is { } c && Tasks is null ? c with { Tasks = [.. c.Tasks.Select(t => t with { Name = name })] } : Inference,
    };

    /// <summary>The record at the current version: a version 1 or 2 record gains its derived contract (an import stores it so).</summary>
    public SpecialistRecord Upgraded() => Inference is not null ? this : this with { FormatVersion = CurrentVersion, Inference = Contract };

    /// <summary>The tasks, whatever the version: a version 1 record's top-level task, or <see cref="Tasks"/>.</summary>
    [JsonIgnore]
    public IReadOnlyList<TaskRecord> TaskList => Tasks ?? [new TaskRecord
    {
        Name = Name, Task = Task, Labels = Labels, Metrics = Metrics, Data = Data, Spec = Spec!, Head = HeadFile,
    }];

    /// <summary>The task named <paramref name="task"/>, or the only one when null; otherwise an error that lists them.</summary>
    public TaskRecord TaskNamed(string? task)
    {
        var tasks = TaskList;
        if (task is null)
            return tasks.Count == 1 ? tasks[0]
                : throw new CadreException($"specialist '{Name}' answers {tasks.Count} tasks ({string.Join(", ", tasks.Select(t => t.Name))}); choose one with --task");
        return tasks.FirstOrDefault(t => t.Name == task)
            ?? throw new CadreException($"specialist '{Name}' has no task '{task}'; its tasks: {string.Join(", ", tasks.Select(t => t.Name))}");
    }
}

/// <summary>One task a specialist answers: its kind, labels, head file, the data and spec it was trained with, and metrics.</summary>
public sealed record TaskRecord
{
    /// <summary>The task's name: the name of the specialist that was trained for it.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Per split: the metrics of this specialist (after a merge: of the merged model) on the task.</summary>
    [JsonPropertyName("metrics")] public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Metrics { get; init; }
    [JsonPropertyName("data")] public required IReadOnlyDictionary<string, DataReference> Data { get; init; }
    [JsonPropertyName("spec")] public required Specs.SpecialistSpec Spec { get; init; }
    /// <summary>The head's file in the specialist's folder: <c>head.safetensors</c>, or <c>head-NAME.safetensors</c> in version 2.</summary>
    [JsonPropertyName("head")] public required string Head { get; init; }

    [JsonIgnore] public Data.TaskKind Kind => Enum.Parse<Data.TaskKind>(Task, ignoreCase: true);

    /// <summary>The head file a merged specialist keeps for a task.</summary>
    public static string HeadFileFor(string task) => $"head-{task}.safetensors";
}
