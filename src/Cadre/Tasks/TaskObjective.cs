using Cadre.Data;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Tasks;

/// <summary>
/// What differs between task kinds around one shared loop: the head's output width, gold tensors, the loss, and
/// how outputs become per-row scores and metrics. Classification: softmax over C classes and cross-entropy;
/// multilabel: C independent sigmoids and binary cross-entropy; regression: one value and squared error.
/// </summary>
public abstract class TaskObjective(IReadOnlyList<string> labels)
{
    public IReadOnlyList<string> Labels { get; } = labels;

    /// <summary>The head's output width.</summary>
    public abstract int Outputs { get; }

    /// <summary>Gold values for examples: (N) class indices, (N, C) 0/1, or (N) targets. The caller owns the result.</summary>
    public abstract Tensor Gold(IReadOnlyList<Example> examples);

    /// <param name="outputs">(B, Outputs) head outputs</param>
    /// <param name="gold">the matching rows of <see cref="Gold"/></param>
    public abstract Tensor Loss(Tensor outputs, Tensor gold);

    /// <summary>Per row: class probabilities, label probabilities, or the predicted value (a one-element row).</summary>
    public float[][] Rows(ClassifierHead head, Tensor features)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        head.eval();
        var scores = Activate(head.forward(features)); // (N, Outputs)
        var flat = TensorValues.Floats(scores); // empty for no rows or no classes
        var width = (int)scores.shape[1];
        return Enumerable.Range(0, (int)scores.shape[0]).Select(i => flat.AsSpan(i * width, width).ToArray()).ToArray();
    }

    public abstract ITaskMetrics Evaluate(IReadOnlyList<Example> examples, float[][] rows);

    public ITaskMetrics Evaluate(ClassifierHead head, Tensor features, IReadOnlyList<Example> examples) =>
        Evaluate(examples, Rows(head, features));

    protected abstract Tensor Activate(Tensor outputs);

    public static TaskObjective For(TaskKind task, IReadOnlyList<string> labels, double targetStd = 1) => task switch
    {
        TaskKind.Multilabel => new MultilabelObjective(labels),
        TaskKind.Regression => new RegressionObjective(targetStd),
        _ => new ClassificationObjective(labels),
    };

    /// <summary>The label's index, or an error naming the row.</summary>
    protected int IndexOf(string label, Example e)
    {
        for (var i = 0; i < Labels.Count; i++)
            if (string.Equals(Labels[i], label, StringComparison.Ordinal)) return i;
        throw new CadreException($"{e.File}:{e.Line}: label '{label}' does not occur in the training data");
    }
}

internal sealed class ClassificationObjective(IReadOnlyList<string> labels) : TaskObjective(labels)
{
    public override int Outputs => Labels.Count;

    public override Tensor Gold(IReadOnlyList<Example> examples) => tensor(examples.Select(e => (long)IndexOf(e.Label!, e)).ToArray());

    public override Tensor Loss(Tensor outputs, Tensor gold) => nn.functional.cross_entropy(outputs, gold);

    protected override Tensor Activate(Tensor outputs) => nn.functional.softmax(outputs, -1);

    public override ITaskMetrics Evaluate(IReadOnlyList<Example> examples, float[][] rows) =>
        Metrics.Classification(examples.Select(e => IndexOf(e.Label!, e)).ToArray(), rows, Labels);
}

internal sealed class MultilabelObjective(IReadOnlyList<string> labels) : TaskObjective(labels)
{
    public override int Outputs => Labels.Count;

    public override Tensor Gold(IReadOnlyList<Example> examples)
    {
        var hot = new float[examples.Count * Labels.Count];
        for (var i = 0; i < examples.Count; i++)
            foreach (var l in examples[i].Labels ?? [])
                hot[i * Labels.Count + IndexOf(l, examples[i])] = 1;
        return tensor(hot).reshape(examples.Count, Labels.Count); // (N, C)
    }

    public override Tensor Loss(Tensor outputs, Tensor gold) => nn.functional.binary_cross_entropy_with_logits(outputs, gold);

    protected override Tensor Activate(Tensor outputs) => nn.functional.sigmoid(outputs);

    public override ITaskMetrics Evaluate(IReadOnlyList<Example> examples, float[][] rows)
    {
        var gold = examples.Select(e =>
        {
            var row = new bool[Labels.Count];
            foreach (var l in e.Labels ?? []) row[IndexOf(l, e)] = true;
            return row;
        }).ToList();
        return MultilabelMetrics.Compute(gold, rows, Labels);
    }
}

/// <summary>
/// The head predicts targets in their own units (it de-standardizes, see <see cref="ClassifierHead"/>); the loss is
/// the squared error in standard units, so one learning rate suits targets of any scale.
/// </summary>
internal sealed class RegressionObjective(double targetStd) : TaskObjective([])
{
    public override int Outputs => 1;

    public override Tensor Gold(IReadOnlyList<Example> examples) => tensor(examples.Select(e => (float)e.Target!.Value).ToArray());

    public override Tensor Loss(Tensor outputs, Tensor gold) =>
        nn.functional.mse_loss(outputs.squeeze(-1), gold) / (targetStd * targetStd); // (B) against (B)

    protected override Tensor Activate(Tensor outputs) => outputs.alias();

    public override ITaskMetrics Evaluate(IReadOnlyList<Example> examples, float[][] rows) =>
        RegressionMetrics.Compute(examples.Select(e => e.Target!.Value).ToList(), rows.Select(r => (double)r[0]).ToList());
}
