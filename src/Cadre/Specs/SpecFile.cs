using System.Globalization;
using System.Text.RegularExpressions;
using Cadre.Adapters;
using Cadre.Data;
using YamlDotNet.RepresentationModel;
using Cadre.Tasks;
using Cadre.Util;

namespace Cadre.Specs;

/// <summary>
/// A <c>cadre.yaml</c>: the specialists to train, each with data, adapter and training settings (see docs/spec.md).
/// <see cref="Load"/> reports every problem at once, each with its path in the file and its line.
/// </summary>
public sealed partial record SpecFile(string Path, IReadOnlyList<SpecialistSpec> Specialists)
{
    public static SpecFile Load(string path)
    {
        var errors = new List<string>();
        var root = YamlFile.Read(path, "a spec", "spec", errors);
        var specialists = new List<SpecialistSpec>();
        if (root.Node("specialists") is YamlSequenceNode list)
            for (var i = 0; i < list.Children.Count; i++)
                specialists.Add(ReadSpecialist(new YamlFields(list.Children[i], $"specialists[{i}]", errors), errors));
        else
            errors.Add("specialists: required, a list of specialists");
        root.RejectUnknown();
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var spec = new SpecFile(path, specialists.Select(s => Resolve(s, folder)).ToList());
        errors.AddRange(spec.Validate());
        YamlFile.ThrowIfAny(path, errors);
        return spec;
    }

    /// <summary>Every problem of the settings, each with its path; files are checked for existence.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Specialists.Count; i++)
        {
            var s = Specialists[i];
            var p = $"specialists[{i}]";
            if (!NamePattern().IsMatch(s.Name)) errors.Add($"{p}.name: '{s.Name}' must be 1-64 lower-case letters, digits, '.', '_' or '-'");
            else if (!names.Add(s.Name)) errors.Add($"{p}.name: '{s.Name}' is used twice");
            if (string.IsNullOrWhiteSpace(s.Base)) errors.Add($"{p}.base: required");
            if (string.IsNullOrEmpty(s.Data.Train)) errors.Add($"{p}.data.train: required");
            foreach (var (key, file) in new[] { ("train", s.Data.Train), ("validation", s.Data.Validation), ("test", s.Data.Test) })
                if (!string.IsNullOrEmpty(file) && !File.Exists(file)) errors.Add($"{p}.data.{key}: file not found: {file}");
            if (s.Data.SampleSize is <= 1) errors.Add($"{p}.data.sample_size: must be > 1");
            if (s.Data.ValidationSplit is <= 0 or >= 1) errors.Add($"{p}.data.validation_split: must be between 0 and 1");
            if (!AdapterSpec.Methods.Contains(s.Adapter.Method)) errors.Add($"{p}.adapter.method: '{s.Adapter.Method}' is not one of {string.Join(", ", AdapterSpec.Methods)}{Suggest.DidYouMean(s.Adapter.Method, AdapterSpec.Methods)}");
            if (s.Adapter.R <= 0) errors.Add($"{p}.adapter.r: must be > 0");
            if (s.Adapter.Alpha <= 0) errors.Add($"{p}.adapter.alpha: must be > 0");
            if (s.Adapter.Dropout is < 0 or >= 1) errors.Add($"{p}.adapter.dropout: must be in [0, 1)");
            if (s.Adapter.Targets.Count == 0) errors.Add($"{p}.adapter.targets: at least one");
            if (s.Adapter.PromptTokens <= 0) errors.Add($"{p}.adapter.prompt_tokens: must be > 0");
            if (s.Adapter.DeepPrompt && s.Adapter.Method != "prompt") errors.Add($"{p}.adapter.deep_prompt: only the prompt method has deep prompts (method: prompt)");
            if (s.Adapter.Method != "head" && AdapterSpec.Methods.Contains(s.Adapter.Method))
                errors.AddRange(Adapters.AdapterMethods.Get(s.Adapter.Method).Validate(s.Adapter).Select(e => $"{p}.{e}")
                    .Where(e => !errors.Contains(e)));
            var t = s.Training;
            if (t.Epochs <= 0) errors.Add($"{p}.training.epochs: must be > 0");
            if (t.LearningRate is <= 0) errors.Add($"{p}.training.learning_rate: must be > 0");
            if (t.HeadLearningRate is <= 0) errors.Add($"{p}.training.head_learning_rate: must be > 0");
            if (t.BatchSize <= 0) errors.Add($"{p}.training.batch_size: must be > 0");
            if (t.MaxLength <= 0) errors.Add($"{p}.training.max_length: must be > 0");
            if (t.EarlyStopping < 0) errors.Add($"{p}.training.early_stopping: must be >= 0");
            if (t.Metric is { } metric && !MetricNames.For(s.Task).Contains(metric))
                errors.Add($"{p}.training.metric: '{metric}' is not one of {string.Join(", ", MetricNames.For(s.Task))} (the {s.Task.ToString().ToLowerInvariant()} metrics){Suggest.DidYouMean(metric, MetricNames.For(s.Task))}");
            if (t.WarmupRatio is < 0 or >= 1) errors.Add($"{p}.training.warmup_ratio: must be in [0, 1)");
            if (t.WeightDecay < 0) errors.Add($"{p}.training.weight_decay: must be >= 0");
            if (t.GradientClip <= 0) errors.Add($"{p}.training.gradient_clip: must be > 0");
        }
        if (Specialists.Count == 0) errors.Add("specialists: at least one");
        return errors;
    }

    /// <summary>
    /// The <see cref="TableSource"/> for one of a specialist's files: the shared settings, with the per-file ones of
    /// the role (train, validation, test) whose path this is laid over them.
    /// </summary>
    public static TableSource Source(SpecialistSpec s, string file, string? role = null)
    {
        var d = s.Data;
        role ??= file == d.Train ? "train" : file == d.Validation ? "validation" : file == d.Test ? "test" : null;
        var o = role is not null && d.Files.TryGetValue(role, out var settings) ? settings : new FileSettings();
        return new TableSource
        {
            Path = file, Text = o.Text ?? d.Text, MoreText = o.Text is null ? d.MoreText : o.MoreText ?? [],
            Label = o.Label ?? d.Label, Task = s.Task, Format = o.Format ?? d.Format,
            Delimiter = o.Delimiter ?? d.Delimiter, Header = o.Header ?? d.Header, Labels = d.Labels,
            Records = o.Records ?? d.Records,
        };
    }

    private static SpecialistSpec Resolve(SpecialistSpec s, string folder)
    {
        string? Full(string? p) => string.IsNullOrEmpty(p) ? p : System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, p));
        return s with { Data = s.Data with { Train = Full(s.Data.Train)!, Validation = Full(s.Data.Validation), Test = Full(s.Data.Test) } };
    }

    private static SpecialistSpec ReadSpecialist(YamlFields f, List<string> errors)
    {
        var d = new SpecialistSpec();
        var task = f.String("task");
        var s = d with
        {
            Name = f.String("name") ?? "",
            Base = f.String("base") ?? d.Base,
            Task = task is null ? d.Task : ParseTask(task, f, errors),
        };
        var data = new YamlFields(f.Node("data"), f.Path + ".data", errors);
        var dd = s.Data;
        var files = new Dictionary<string, FileSettings>(StringComparer.Ordinal);
        var (text, moreText) = ReadText(data, errors);
        s = s with
        {
            Data = dd with
            {
                Train = ReadFile(data, "train", files, errors) ?? "",
                Validation = ReadFile(data, "validation", files, errors),
                Test = ReadFile(data, "test", files, errors),
                Text = text ?? dd.Text,
                MoreText = moreText ?? dd.MoreText,
                Label = data.String("label") is { } lb ? ColumnRef.Parse(lb) : dd.Label,
                Format = data.String("format") is { } format ? ParseFormat(format, data, errors) : null,
                Delimiter = data.String("delimiter") is { } dl ? ParseDelimiter(dl, data, errors) : null,
                Header = data.Bool("header"),
                Labels = data.List("labels"),
                ValidationSplit = data.Double("validation_split") ?? dd.ValidationSplit,
                SkipInvalid = data.Bool("skip_invalid") ?? dd.SkipInvalid,
                SampleSize = data.Int("sample_size"),
                ExcludeLabels = data.List("exclude_labels") ?? dd.ExcludeLabels,
                Records = data.List("records"),
                Files = files,
            },
        };
        data.RejectUnknown();
        var a = new YamlFields(f.Node("adapter"), f.Path + ".adapter", errors);
        var ad = s.Adapter;
        s = s with
        {
            Adapter = ad with
            {
                Method = a.String("method") ?? ad.Method, R = a.Int("r") ?? ad.R, Alpha = a.Double("alpha") ?? ad.Alpha,
                Dropout = a.Double("dropout") ?? ad.Dropout, Targets = a.List("targets") ?? ad.Targets,
                PromptTokens = a.Int("prompt_tokens") ?? ad.PromptTokens, DeepPrompt = a.Bool("deep_prompt") ?? ad.DeepPrompt,
            },
        };
        a.RejectUnknown();
        var t = new YamlFields(f.Node("training"), f.Path + ".training", errors);
        var td = s.Training;
        s = s with
        {
            Training = td with
            {
                Epochs = t.Int("epochs") ?? td.Epochs, LearningRate = t.Double("learning_rate") ?? td.LearningRate,
                HeadLearningRate = t.Double("head_learning_rate"),
                BatchSize = t.Int("batch_size") ?? td.BatchSize, MaxLength = t.Int("max_length") ?? td.MaxLength,
                Seed = t.Int("seed") ?? td.Seed, EarlyStopping = t.Int("early_stopping") ?? td.EarlyStopping,
                Metric = t.String("metric"), WarmupRatio = t.Double("warmup_ratio") ?? td.WarmupRatio,
                WeightDecay = t.Double("weight_decay") ?? td.WeightDecay, GradientClip = t.Double("gradient_clip") ?? td.GradientClip,
            },
        };
        t.RejectUnknown();
        f.RejectUnknown();
        return s;
    }

    /// <summary><c>text: body</c> or <c>text: [title, body]</c>: the first column and the ones joined after it.</summary>
    private static (ColumnRef?, IReadOnlyList<ColumnRef>?) ReadText(YamlFields f, List<string> errors)
    {
        if (f.List("text") is not { } columns) return (null, null);
        if (columns.Count == 0)
        {
            errors.Add($"{f.Path}.text: at least one column");
            return (null, null);
        }
        var refs = columns.Select(ColumnRef.Parse).ToList();
        return (refs[0], refs.Skip(1).ToList());
    }

    /// <summary>A file given as a path, or as a mapping with <c>path</c> and its own column and format settings.</summary>
    private static string? ReadFile(YamlFields data, string role, Dictionary<string, FileSettings> files, List<string> errors)
    {
        var node = data.Node(role);
        if (node is null or YamlScalarNode) return data.String(role);
        var f = new YamlFields(node, $"{data.Path}.{role}", errors);
        var path = f.String("path");
        if (path is null) errors.Add($"{f.Path}.path: required when {role} is a mapping");
        var (text, moreText) = ReadText(f, errors);
        files[role] = new FileSettings
        {
            Text = text, MoreText = moreText,
            Label = f.String("label") is { } lb ? ColumnRef.Parse(lb) : null,
            Format = f.String("format") is { } format ? ParseFormat(format, f, errors) : null,
            Delimiter = f.String("delimiter") is { } dl ? ParseDelimiter(dl, f, errors) : null,
            Header = f.Bool("header"),
            Records = f.List("records"),
        };
        f.RejectUnknown();
        return path;
    }

    private static TaskKind ParseTask(string value, YamlFields f, List<string> errors)
    {
        if (Enum.TryParse<TaskKind>(value, ignoreCase: true, out var task) && !int.TryParse(value, CultureInfo.InvariantCulture, out _))
            return task;
        errors.Add($"{f.Path}.task: '{value}' is not one of classification, multilabel, regression");
        return TaskKind.Classification;
    }

    private static DataFormat? ParseFormat(string value, YamlFields f, List<string> errors)
    {
        switch (value.ToLowerInvariant())
        {
            case "csv" or "tsv" or "delimited": return DataFormat.Delimited;
            case "jsonl": return DataFormat.Jsonl;
            case "json": return DataFormat.Json;
            case "lines" or "txt": return DataFormat.Lines;
            case "parquet": return DataFormat.Parquet;
            default:
                errors.Add($"{f.Path}.format: '{value}' is not one of csv, tsv, jsonl, json, parquet, lines");
                return null;
        }
    }

    private static char? ParseDelimiter(string value, YamlFields f, List<string> errors)
    {
        var v = value == "\\t" || value.Equals("tab", StringComparison.OrdinalIgnoreCase) ? "\t" : value;
        if (v.Length == 1) return v[0];
        errors.Add($"{f.Path}.delimiter: must be one character (or \\t), got '{value}'");
        return null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
