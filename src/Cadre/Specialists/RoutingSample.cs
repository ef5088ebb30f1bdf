using System.Globalization;
using Cadre.Data;
using Cadre.Models;
using Cadre.Specs;
using Cadre.Tasks;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Specialists;

/// <summary>
/// What routers and task embeddings need from one specialist, captured when it is trained: the frozen base's
/// embeddings (no adapter) of a seeded, stratified sample of its training rows, and those rows' labels. It is saved
/// as <c>routing.safetensors</c> in the specialist's flat folder, so routing never needs the training files again.
/// Embeddings are kept as plain arrays (N rows of D floats): they are small and outlive any dispose scope.
/// </summary>
public sealed record RoutingSample
{
    public const string FileName = "routing.safetensors";
    public const int FormatVersion = 1;
    /// <summary>Rows sampled per specialist: 512 rows of a 512-d base are 512 KiB in float16.</summary>
    public const int DefaultRows = 512;
    /// <summary>The seed offset of the routing sample (the trainer uses seed for the split and seed + 1 for sample_size).</summary>
    public const int SeedOffset = 2;

    /// <summary>What the trainer stores: the routing sample of the rows <paramref name="train"/> (already excluded and sampled).</summary>
    public static RoutingSample Capture(SpecialistSpec spec, ISentenceEncoder encoder, Dataset train, IReadOnlyList<string> labels) =>
        RoutingSample.Compute(spec.Name, encoder, train, labels, spec.Training.MaxLength, spec.Training.Seed + SeedOffset);

    public required string Specialist { get; init; }
    public required TaskKind Task { get; init; }
    public required int Dimension { get; init; }
    /// <summary>Tokens kept per text when embedding (the specialist's max_length).</summary>
    public required int MaxLength { get; init; }
    /// <summary>(N, D) row-major base embeddings.</summary>
    public required float[] Embeddings { get; init; }
    /// <summary>Classification: each row's label index in the specialist's label order; null otherwise.</summary>
    public int[]? Classes { get; init; }
    /// <summary>Multilabel: (N, C) row-major, 1 where the row carries the label; null otherwise.</summary>
    public float[]? LabelSets { get; init; }
    /// <summary>Regression: each row's target; null otherwise.</summary>
    public float[]? Targets { get; init; }

    public int Rows => Dimension == 0 ? 0 : Embeddings.Length / Dimension;

    /// <summary>Row <paramref name="i"/>'s embedding.</summary>
    public ReadOnlySpan<float> Row(int i) => Embeddings.AsSpan(i * Dimension, Dimension);

    /// <summary>
    /// Embeds a seeded, stratified sample of <paramref name="train"/> with the bare base. Call it before any adapter is
    /// attached to <paramref name="encoder"/>: an attached adapter (or a soft prompt, or full fine-tuning's weights)
    /// would change the embeddings. Costs one base forward pass over up to <paramref name="rows"/> texts.
    /// </summary>
    public static RoutingSample Compute(string specialist, ISentenceEncoder encoder, Dataset train, IReadOnlyList<string> labels,
                                        int maxLength, int seed, int rows = DefaultRows)
    {
        var sample = rows < train.Count ? Splits.Stratified(train, (double)rows / train.Count, seed).Validation : train;
        var texts = sample.Examples.Select(e => e.Text).ToList();
        float[] flat;
        using (var scope = NewDisposeScope()) // contiguous() hands out a new tensor too
            flat = TensorValues.Floats(AdapterFeatures.Embed(encoder, null, texts, maxLength)); // (N, D); no rows give none
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var result = new RoutingSample
        {
            Specialist = specialist, Task = train.Task, Dimension = encoder.Dimension, MaxLength = maxLength, Embeddings = flat,
        };
        return train.Task switch
        {
            TaskKind.Classification => result with { Classes = [.. sample.Examples.Select(e => index[e.Label!])] },
            TaskKind.Multilabel => result with { LabelSets = MultiHot(sample.Examples, index) },
            _ => result with { Targets = [.. sample.Examples.Select(e => (float)(e.Target ?? 0))] },
        };
    }

    private static float[] MultiHot(IReadOnlyList<Example> examples, Dictionary<string, int> index)
    {
        var hot = new float[examples.Count * index.Count];
        for (var i = 0; i < examples.Count; i++)
            foreach (var l in examples[i].Labels ?? [])
                hot[i * index.Count + index[l]] = 1;
        return hot;
    }

    /// <summary>Writes <c>routing.safetensors</c> into <paramref name="folder"/>: embeddings in float16 (half the bytes; cosines move by about 1e-3 at most).</summary>
    public void Write(string folder)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["embeddings"] = tensor(Embeddings).reshape(Rows, Dimension).to(ScalarType.Float16), // (N, D)
        };
        if (Classes is not null) tensors["classes"] = tensor(Classes.Select(c => (long)c).ToArray());          // (N)
        if (LabelSets is not null) tensors["label_sets"] = tensor(LabelSets).reshape(Rows, -1).to(ScalarType.Byte); // (N, C)
        if (Targets is not null) tensors["targets"] = tensor(Targets);                                          // (N)
        SafetensorsWriter.Write(Path.Combine(folder, FileName), tensors, new Dictionary<string, string>
        {
            ["format"] = "cadre-routing", ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["task"] = Task.ToString().ToLowerInvariant(), ["max_length"] = MaxLength.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Reads a specialist's <c>routing.safetensors</c>, checking its version and shapes against the record's labels.</summary>
    public static RoutingSample Read(string file, string specialist, int labelCount)
    {
        using var reader = SafetensorsReader.Open(file);
        var meta = reader.Metadata;
        if (!meta.TryGetValue("format", out var format) || format != "cadre-routing")
            throw new CadreException($"{file}: not a Cadre routing sample (metadata format is not 'cadre-routing')");
        if (!meta.TryGetValue("format_version", out var v) || v != FormatVersion.ToString(CultureInfo.InvariantCulture))
            throw new CadreException($"{file}: routing sample format_version {v ?? "(none)"} is not supported (this Cadre reads {FormatVersion})");
        if (!meta.TryGetValue("task", out var taskText) || !Enum.TryParse<TaskKind>(taskText, true, out var task))
            throw new CadreException($"{file}: metadata 'task' is missing or unknown");
        var maxLength = int.Parse(meta.GetValueOrDefault("max_length", "128"), CultureInfo.InvariantCulture);
        using var scope = NewDisposeScope();
        var e = reader.ReadTensor("embeddings").to(ScalarType.Float32);
        if (e.dim() != 2 || e.shape[0] == 0)
            throw new CadreException($"{file}: 'embeddings' must be (N, D) with N > 0, got [{string.Join(", ", e.shape)}]");
        var (n, d) = ((int)e.shape[0], (int)e.shape[1]);
        float[]? Floats(string name, long width)
        {
            if (!reader.Contains(name)) return null;
            var t = reader.ReadTensor(name).to(ScalarType.Float32);
            if (t.numel() != n * width)
                throw new CadreException($"{file}: '{name}' has {t.numel()} values, {n * width} expected");
            return t.data<float>().ToArray();
        }
        var sample = new RoutingSample
        {
            Specialist = specialist, Task = task, Dimension = d, MaxLength = maxLength, Embeddings = e.data<float>().ToArray(),
            Classes = Floats("classes", 1)?.Select(c => (int)c).ToArray(),
            LabelSets = Floats("label_sets", labelCount), Targets = Floats("targets", 1),
        };
        var labelsOk = task switch
        {
            TaskKind.Classification => sample.Classes is { } c && c.All(i => i >= 0 && i < labelCount),
            TaskKind.Multilabel => sample.LabelSets is not null,
            _ => sample.Targets is not null,
        };
        if (!labelsOk)
            throw new CadreException($"{file}: the {taskText} labels are missing or outside the specialist's {labelCount} labels");
        return sample;
    }
}
