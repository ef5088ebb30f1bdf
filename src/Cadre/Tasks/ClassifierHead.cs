using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Tasks;

/// <summary>
/// A specialist's task head: standardize the base's features with the training set's mean and spread (kept as
/// buffers, so the head file is self-contained), then one linear layer to the classes. Standardizing lets one
/// learning rate suit bases whose features differ in scale (USE-lite's are L2-normalized, length 1).
/// Keys: <c>feature_mean</c>, <c>feature_std</c>, <c>classifier.weight</c> (C, D), <c>classifier.bias</c> (C).
/// A regression head (one output) also keeps <c>target_mean</c> and <c>target_std</c> (1): it learns standardized
/// targets and answers in the targets' own units.
/// </summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // checkpoint key names
    private readonly Tensor feature_mean;
    private readonly Tensor feature_std;
    private readonly Linear classifier;
    private readonly Tensor? target_mean;
    private readonly Tensor? target_std;
#pragma warning restore IDE1006

    public ClassifierHead(long features, long classes, long seed, bool regression = false) : base("head")
    {
        using (var _ = NewDisposeScope())
        {
            manual_seed(seed); // the linear layer's initialization is part of the run's determinism
            classifier = nn.Linear(features, classes);
        }
        feature_mean = zeros(features);
        feature_std = ones(features);
        register_buffer("feature_mean", feature_mean);
        register_buffer("feature_std", feature_std);
        register_module("classifier", classifier); // explicit: RegisterComponents would also take the buffers' fields
        if (!regression) return;
        target_mean = zeros(1);
        target_std = ones(1);
        register_buffer("target_mean", target_mean);
        register_buffer("target_std", target_std);
    }

    public bool Regression => target_mean is not null;

    /// <summary>Sets the regression head's target scale (the training targets' mean and spread).</summary>
    public void ScaleTargets(double mean, double std)
    {
        if (target_mean is null || target_std is null)
            throw new InvalidOperationException("not a regression head");
        using var _ = no_grad();
        target_mean.fill_(mean);
        target_std.fill_(Math.Max(std, 1e-6));
    }

    public long Features => feature_mean.shape[0];
    public long Classes => classifier.weight!.shape[0];

    /// <summary>Sets the standardization from training features (N, D).</summary>
    public void Standardize(Tensor features)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        feature_mean.copy_(features.mean([0]));                 // (D)
        feature_std.copy_(features.std([0]).clamp_min(1e-6));   // (D); a constant feature must not divide by zero
    }

    /// <param name="x">(B, D) features</param>
    /// <returns>(B, C) logits</returns>
    public override Tensor forward(Tensor x)
    {
        var y = classifier.forward((x - feature_mean) / feature_std); // (B, C)
        return target_mean is null ? y : y * target_std! + target_mean;
    }
}
