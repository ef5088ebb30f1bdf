using System.Globalization;
using Cadre.Specs;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Training;

/// <summary>
/// What every training loop does per step, in one place (<see cref="TrainingLoop"/>, the suite's multitask baseline):
/// one AdamW with two parameter groups (the fresh heads at the head rate, the adapter or base at the method's), linear
/// warm-up and decay over the run's steps, one dispose scope per step, a loss that must stay finite, gradient clipping;
/// and the error of a run that diverged.
/// </summary>
public sealed class Optimization : IDisposable
{
    private readonly TorchSharp.Modules.AdamW _optimizer;
    private readonly List<Parameter> _parameters;
    private readonly double[] _peaks;
    private readonly double _headRate, _rate, _clip;
    private readonly int _warmup, _total;

    public Optimization(IEnumerable<Parameter> heads, double headRate, IEnumerable<Parameter> rest, double rate, TrainingSpec spec, int totalSteps)
    {
        // A group without parameters (the head method trains no adapter) is left out, its peak with it.
        var groups = new[] { (Parameters: heads.ToList(), Peak: headRate), (Parameters: rest.ToList(), Peak: rate) }
            .Where(g => g.Parameters.Count > 0).ToList();
        _optimizer = optim.AdamW(groups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters, lr: g.Peak, weight_decay: spec.WeightDecay)),
                                 rate, weight_decay: spec.WeightDecay);
        _parameters = [.. groups.SelectMany(g => g.Parameters)];
        _peaks = [.. groups.Select(g => g.Peak)];
        (_headRate, _rate, _clip) = (headRate, rate, spec.GradientClip);
        _total = Math.Max(1, totalSteps);
        _warmup = (int)(spec.WarmupRatio * _total);
    }

    /// <summary>Steps taken; a resumed run sets it from its checkpoint, so the schedule goes on where it stopped.</summary>
    public int Steps { get; set; }

    /// <summary>AdamW itself, for a checkpoint to save and restore its moments.</summary>
    public TorchSharp.Modules.OptimizerHelper Optimizer => _optimizer;

    /// <summary>
    /// One step in a dispose scope of its own: <paramref name="loss"/> runs the forward pass; a loss that is not finite
    /// ends the run (<paramref name="where"/> says where, read once <see cref="Steps"/> counts this step); else
    /// backward, the gradients clipped to the spec's norm, and the update at the scheduled rates. Returns the loss.
    /// </summary>
    public float Step(Func<Tensor> loss, Func<string> where)
    {
        using var scope = NewDisposeScope();
        var k = 0;
        foreach (var group in _optimizer.ParamGroups)
            group.LearningRate = Schedule(_peaks[k++], Steps, _warmup, _total);
        Steps++;
        var value = loss();
        var number = value.item<float>();
        if (!float.IsFinite(number))
            throw Diverged($"the loss became {(float.IsNaN(number) ? "NaN" : "infinite")} {where()}");
        _optimizer.zero_grad();
        value.backward();
        nn.utils.clip_grad_norm_(_parameters, _clip);
        _optimizer.step();
        return number;
    }

    /// <summary>
    /// A step can leave non-finite weights behind a finite loss (an overflowing update): the loops look once per
    /// epoch. <paramref name="state"/> runs in a scope of its own (it may hand out temporaries, generator states).
    /// </summary>
    public void RequireFinite(Func<IEnumerable<KeyValuePair<string, Tensor>>> state, string when)
    {
        using var scope = NewDisposeScope();
        if (FiniteCheck.FirstNonFinite(state()) is { } bad)
            throw Diverged($"'{bad}' holds NaN or infinite values {when}");
    }

    /// <summary>The error of a run that diverged: where, and which rates to lower.</summary>
    private TrainingDivergedException Diverged(string where)
    {
        var rates = _headRate == _rate
            ? string.Create(CultureInfo.InvariantCulture, $"learning_rate {_rate:G3}")
            : string.Create(CultureInfo.InvariantCulture, $"learning_rate {_rate:G3}, head_learning_rate {_headRate:G3}");
        return new TrainingDivergedException($"training diverged: {where}; nothing was stored. Lower the learning rate ({rates}; try a tenth of it)");
    }

    /// <summary>Linear warm-up to the peak, then linear decay to zero.</summary>
    public static double Schedule(double peak, int step, int warmup, int total) =>
        step < warmup ? peak * (step + 1) / warmup : peak * Math.Max(0, total - step) / Math.Max(1, total - warmup);

    public void Dispose() => _optimizer.Dispose();
}
