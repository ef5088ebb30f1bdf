using Cadre.Adapters;
using Cadre.Data;

using Cadre.Tasks;
namespace Cadre.Specs;

/// <summary><c>data:</c> where a specialist's examples come from. Relative paths resolve against the spec's folder.</summary>
public sealed record DataSpec
{
    /// <summary>Training file (required).</summary>
    public string Train { get; init; } = "";
    /// <summary>Validation file; default none, in which case <see cref="ValidationSplit"/> of train is held out (seeded).</summary>
    public string? Validation { get; init; }
    /// <summary>Test file; default none.</summary>
    public string? Test { get; init; }
    /// <summary>Text column, by name or 0-based index. Default <c>text</c>.</summary>
    public ColumnRef Text { get; init; } = ColumnRef.Named("text");
    /// <summary>Further text columns joined after <see cref="Text"/> (<c>text: [title, body]</c>). Default none.</summary>
    public IReadOnlyList<ColumnRef> MoreText { get; init; } = [];
    /// <summary>Label column, by name or 0-based index. Default <c>label</c>.</summary>
    public ColumnRef Label { get; init; } = ColumnRef.Named("label");
    /// <summary><c>csv</c>, <c>tsv</c>, <c>jsonl</c> or <c>lines</c>; default from the extension or by sniffing.</summary>
    public DataFormat? Format { get; init; }
    /// <summary>Field delimiter for delimited files; default from the extension or by sniffing.</summary>
    public char? Delimiter { get; init; }
    /// <summary>Whether delimited files have a header row; default true when columns are named.</summary>
    public bool? Header { get; init; }
    /// <summary>The declared label set; default: the labels found in train.</summary>
    public IReadOnlyList<string>? Labels { get; init; }
    /// <summary>Share of train held out for validation when no validation file is given. Default 0.1.</summary>
    public double ValidationSplit { get; init; } = 0.1;
    /// <summary>Skip (and report) invalid rows instead of stopping. Default false.</summary>
    public bool SkipInvalid { get; init; }
    /// <summary>Train on a seeded, stratified sample of this many training rows; default all of them.</summary>
    public int? SampleSize { get; init; }
    /// <summary>Rows with these labels are left out of every split (and reported), e.g. an out-of-scope class. Default none.</summary>
    public IReadOnlyList<string> ExcludeLabels { get; init; } = [];
    /// <summary>For JSON files: the top-level keys whose arrays hold the records; default the root array.</summary>
    public IReadOnlyList<string>? Records { get; init; }
    /// <summary>
    /// Settings of one file that differ from the shared ones, by role (<c>train</c>, <c>validation</c>, <c>test</c>):
    /// <c>test: {path: test.csv, header: false, text: [1, 2], label: 0}</c>. Default none.
    /// </summary>
    public IReadOnlyDictionary<string, FileSettings> Files { get; init; } = new Dictionary<string, FileSettings>();
}

/// <summary>Per-file overrides of <see cref="DataSpec"/>'s column and format settings; null keeps the shared value.</summary>
public sealed record FileSettings
{
    public ColumnRef? Text { get; init; }
    public IReadOnlyList<ColumnRef>? MoreText { get; init; }
    public ColumnRef? Label { get; init; }
    public DataFormat? Format { get; init; }
    public char? Delimiter { get; init; }
    public bool? Header { get; init; }
    public IReadOnlyList<string>? Records { get; init; }
}

/// <summary><c>training:</c> the optimization.</summary>
public sealed record TrainingSpec
{

    /// <summary>Passes over the training data. Default 5.</summary>
    public int Epochs { get; init; } = 5;
    /// <summary>AdamW peak learning rate. Default: the method's own (head 1e-2, lora 1e-3, ia3 1e-2, prompt 3e-2, full 5e-5).</summary>
    public double? LearningRate { get; init; }

    /// <summary>The learning rate a run uses: the spec's, or the method's default.</summary>
    public double LearningRateFor(string method) => LearningRate ?? (method == "head" ? HeadMethodLearningRate
        : Adapters.AdapterMethods.Get(method).DefaultLearningRate);

    /// <summary>
    /// The task head's peak learning rate when an adapter trains with it. Default: the method's rate, but at least
    /// <see cref="MinimumHeadLearningRate"/>.
    /// </summary>
    public double? HeadLearningRate { get; init; }

    /// <summary>
    /// A freshly initialized head needs more than full fine-tuning's 5e-5 to learn in a few epochs: with it, full
    /// fine-tuning scored below the frozen-feature head on banking77 and clinc150 (docs/RESULTS.md).
    /// </summary>
    public const double MinimumHeadLearningRate = 1e-3;

    /// <summary>The head's learning rate a run uses: the spec's, or the method's rate raised to the minimum.</summary>
    public double HeadLearningRateFor(string method) => HeadLearningRate
        ?? (method == "head" ? LearningRateFor(method) : Math.Max(LearningRateFor(method), MinimumHeadLearningRate));

    /// <summary>The <c>head</c> method's default: a standardized linear layer on frozen features tolerates a large step.</summary>
    public const double HeadMethodLearningRate = 1e-2;
    /// <summary>Examples per step. Default 32.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Tokens kept per text. Default 128.</summary>
    public int MaxLength { get; init; } = AdapterFeatures.DefaultMaxLength;
    /// <summary>Seed for initialization, shuffling, dropout and splits. Default 1.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Patience in epochs on the validation metric; 0 turns early stopping off. Default 2.</summary>
    public int EarlyStopping { get; init; } = 2;
    /// <summary>
    /// What early stopping and the best epoch are chosen by. Classification: <c>accuracy</c> (default) or
    /// <c>macro_f1</c>; multilabel: <c>micro_f1</c> (default), <c>macro_f1</c> or <c>subset_accuracy</c>; regression:
    /// <c>rmse</c> (default), <c>mae</c>, <c>spearman</c> or <c>pearson</c>.
    /// </summary>
    public string? Metric { get; init; }

    /// <summary>The metric a run uses: the spec's, or the task's default.</summary>
    public string MetricFor(Data.TaskKind task) => Metric ?? MetricNames.Default(task);
    /// <summary>Share of steps with a linear learning-rate warm-up. Default 0.06.</summary>
    public double WarmupRatio { get; init; } = 0.06;
    /// <summary>AdamW weight decay. Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Gradient norm clip. Default 1.0.</summary>
    public double GradientClip { get; init; } = 1.0;
}

/// <summary>One entry of <c>specialists:</c>.</summary>
public sealed record SpecialistSpec
{
    /// <summary>Unique name: lower-case letters, digits, '.', '_' and '-'.</summary>
    public string Name { get; init; } = "";
    /// <summary>The base model's name. Default <c>use-lite</c>.</summary>
    public string Base { get; init; } = "use-lite";
    /// <summary>classification | multilabel | regression. Default classification.</summary>
    public TaskKind Task { get; init; } = TaskKind.Classification;
    public DataSpec Data { get; init; } = new();
    public AdapterSpec Adapter { get; init; } = new();
    public TrainingSpec Training { get; init; } = new();
}
