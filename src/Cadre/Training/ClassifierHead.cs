using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>
/// A specialist's task head: standardize the base's features with the training set's mean and spread (kept as
/// buffers, so the head file is self-contained), then one linear layer to the classes. Standardizing lets one
/// learning rate suit bases whose features differ in scale (USE-lite's are L2-normalized, length 1).
/// Keys: <c>feature_mean</c>, <c>feature_std</c>, <c>classifier.weight</c> (C, D), <c>classifier.bias</c> (C).
/// </summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // checkpoint key names
    private readonly Tensor feature_mean;
    private readonly Tensor feature_std;
    private readonly Linear classifier;
#pragma warning restore IDE1006

    public ClassifierHead(long features, long classes, long seed) : base("head")
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
    public override Tensor forward(Tensor x) => classifier.forward((x - feature_mean) / feature_std);
}
