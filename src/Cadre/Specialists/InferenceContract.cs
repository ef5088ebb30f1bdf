using System.Text.Json.Serialization;
using Cadre.Adapters;
using Cadre.Data;

namespace Cadre.Specialists;

/// <summary>
/// What serving and prediction need from a specialist, and nothing else: the base by fingerprint, how its adapter's
/// files load, and per task the kind, labels, head file, head outputs and the token length texts are cut to. It is
/// <c>cadre.json</c>'s <c>inference</c> section (record format version 3, docs/formats.md); records of versions 1
/// and 2 have none, and <see cref="SpecialistRecord.Contract"/> derives theirs (<see cref="Derive"/>, the one place
/// that reads a training spec for it). The training spec stays in the record for provenance only.
/// </summary>
public sealed record InferenceContract
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("version")] public int Version { get; init; } = CurrentVersion;
    /// <summary>The base it runs on: found by <c>content_hash</c> (under <c>name</c> or another), refused when none holds it.</summary>
    [JsonPropertyName("base")] public required BaseReference Base { get; init; }
    [JsonPropertyName("adapter")] public required InferenceAdapter Adapter { get; init; }
    /// <summary>Every task the specialist answers, in the record's task order.</summary>
    [JsonPropertyName("tasks")] public required IReadOnlyList<InferenceTask> Tasks { get; init; }

    /// <summary>The longest <see cref="InferenceTask.MaxLength"/>: the length of a specialist's embeddings.</summary>
    [JsonIgnore] public int MaxLength => Tasks.Max(t => t.MaxLength);

    /// <summary>The task named <paramref name="name"/> (a name <see cref="SpecialistRecord.TaskNamed"/> chose).</summary>
    public InferenceTask Task(string name) => Tasks.First(t => t.Name == name);

    /// <summary>
    /// The contract of a record written before contracts existed (format versions 1 and 2): the top-level base and
    /// method, and per task its kind, labels and head, with the max length its training spec used.
    /// </summary>
    internal static InferenceContract Derive(SpecialistRecord record) => new()
    {
        Base = record.Base,
        Adapter = InferenceAdapter.For(record.Method),
        Tasks = [.. record.TaskList.Select(t =>
        {
            var what = $"specialist '{CadreException.Shown(record.Name)}', task '{CadreException.Shown(t.Name ?? "")}'";
            if (!Enum.TryParse<TaskKind>(t.Task, ignoreCase: true, out var kind))
                throw new CadreException($"{what}: '{CadreException.Shown(t.Task ?? "")}' is not a task kind (classification, multilabel, regression)");
            var labels = t.Labels ?? throw new CadreException($"{what}: 'labels' is missing");
            var spec = t.Spec ?? throw new CadreException($"{what}: 'spec' is missing, so the length its texts are cut to is unknown");
            return new InferenceTask
            {
                Name = t.Name!, Kind = kind, Labels = labels, Head = t.Head, Outputs = InferenceTask.OutputsFor(kind, labels),
                MaxLength = spec.Training.MaxLength,
            };
        })],
    };

    /// <summary>
    /// How a written contract disagrees with its record (empty when it agrees): it must describe the same base,
    /// method and tasks (names in order, kinds, labels, heads) as the rest of the record, so no reader can see two
    /// different specialists in one file.
    /// </summary>
    internal static IEnumerable<string> Problems(SpecialistRecord record, InferenceContract c)
    {
        if (c.Version != CurrentVersion)
        {
            yield return $"inference.version {c.Version} is not supported (this Cadre reads {CurrentVersion})";
            yield break;
        }
        if (c.Base is null || c.Adapter is null || c.Tasks is null || c.Tasks.Any(t => t is null))
        {
            yield return $"inference: '{(c.Base is null ? "base" : c.Adapter is null ? "adapter" : "tasks")}' is missing";
            yield break;
        }
        if (c.Base != record.Base)
            yield return "inference.base is not the record's base";
        if (c.Adapter.Method != record.Method)
            yield return $"inference.adapter.method '{CadreException.Shown(c.Adapter.Method ?? "")}' is not the record's method '{CadreException.Shown(record.Method)}'";
        else if (!InferenceAdapter.Known(c.Adapter.Method))
            yield return $"inference.adapter.method '{CadreException.Shown(c.Adapter.Method)}' is not one of head, {string.Join(", ", AdapterMethods.All.Select(m => m.Name))}";
        else if (InferenceAdapter.For(c.Adapter.Method) is var expected && c.Adapter != expected)
            yield return $"inference.adapter: a {c.Adapter.Method} adapter loads from config {expected.Config ?? "null"} and weights {expected.Weights ?? "null"}";
        var tasks = record.TaskList;
        if (!c.Tasks.Select(t => t.Name).SequenceEqual(tasks.Select(t => t.Name)))
        {
            yield return $"inference.tasks ({string.Join(", ", c.Tasks.Select(t => CadreException.Shown(t.Name ?? "")))}) are not the record's tasks ({string.Join(", ", tasks.Select(t => CadreException.Shown(t.Name)))})";
            yield break;
        }
        for (var i = 0; i < tasks.Count; i++)
        {
            var (mine, theirs) = (c.Tasks[i], tasks[i]);
            var at = $"inference.tasks[{i}] ('{CadreException.Shown(mine.Name)}')";
            if (!Enum.TryParse<TaskKind>(theirs.Task, ignoreCase: true, out var kind) || kind != mine.Kind)
                yield return $"{at}: kind {mine.Kind.ToString().ToLowerInvariant()} is not the record's task '{CadreException.Shown(theirs.Task)}'";
            if (mine.Labels is null || theirs.Labels is null || !mine.Labels.SequenceEqual(theirs.Labels))
                yield return $"{at}: labels are not the record's labels (in head order)";
            if (mine.Head != theirs.Head)
                yield return $"{at}: head '{CadreException.Shown(mine.Head ?? "")}' is not the record's head '{CadreException.Shown(theirs.Head)}'";
            if (mine.Labels is not null && mine.Outputs != InferenceTask.OutputsFor(mine.Kind, mine.Labels))
                yield return $"{at}: outputs {mine.Outputs}, but a {mine.Kind.ToString().ToLowerInvariant()} head over {mine.Labels.Count} labels has {InferenceTask.OutputsFor(mine.Kind, mine.Labels)}";
            if (mine.MaxLength < 1)
                yield return $"{at}: max_length {mine.MaxLength} is not a positive number of tokens";
        }
    }
}

/// <summary>
/// How a specialist's adapter loads: its <c>method</c> (<c>head</c> for none), the PEFT config file (null when the
/// method has none: <c>head</c>, <c>full</c>) and the weights file (null for <c>head</c>).
/// </summary>
public sealed record InferenceAdapter
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("config")] public string? Config { get; init; }
    [JsonPropertyName("weights")] public string? Weights { get; init; }

    /// <summary>Whether the adapter replaces the base's weights (a full fine-tune), so that it cannot share a served base.</summary>
    [JsonIgnore] public bool OwnsBase => Method == "full";

    /// <summary>The files a method's adapter is saved in, as <see cref="AdapterFiles.Save"/> writes them.</summary>
    public static InferenceAdapter For(string method)
    {
        if (method == "head")
            return new() { Method = method };
        var peft = AdapterMethods.Get(method).PeftType is not null;
        return new()
        {
            Method = method, Config = peft ? AdapterFiles.ConfigFile : null, Weights = peft ? AdapterFiles.WeightsFile : FullWeightsFile,
        };
    }

    /// <summary>The weights of a method PEFT has no type for (<c>full</c>): the base's whole state dict.</summary>
    public const string FullWeightsFile = "model.safetensors";

    internal static bool Known(string? method) => method == "head" || AdapterMethods.All.Any(m => m.Name == method);
}

/// <summary>
/// One task as serving answers it: its <c>kind</c>, <c>labels</c> in head order, the <c>head</c> file, the head's
/// <c>outputs</c> (the label count; 1 for regression, whose head carries its target scale in its own tensors) and
/// <c>max_length</c>, the tokens a text is cut to before the base embeds it.
/// </summary>
public sealed record InferenceTask
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("kind")] public required TaskKind Kind { get; init; }
    [JsonPropertyName("labels")] public required IReadOnlyList<string> Labels { get; init; }
    [JsonPropertyName("head")] public required string Head { get; init; }
    [JsonPropertyName("outputs")] public required int Outputs { get; init; }
    [JsonPropertyName("max_length")] public required int MaxLength { get; init; }

    /// <summary>The head's output count for a task kind and its labels.</summary>
    public static int OutputsFor(TaskKind kind, IReadOnlyList<string> labels) => kind == TaskKind.Regression ? 1 : labels.Count;
}
