using static TorchSharp.torch;

namespace Cadre.Adapters;

/// <summary>
/// Inverted dropout drawing from its own generator, so a run is deterministic for its seed and a resumed run
/// continues the same random stream (<see cref="State"/> is saved in checkpoints).
/// </summary>
public sealed class SeededDropout(double probability, long seed) : IDisposable
{
    private readonly Generator _generator = new((ulong)seed);

    public double Probability { get; } = probability;

    public Tensor Apply(Tensor x, bool training)
    {
        if (!training || Probability <= 0)
            return x;
        var keep = rand(x.shape, generator: _generator, dtype: x.dtype).ge(Probability); // same shape as x
        return x * keep / (1 - Probability);
    }

    public Tensor State => _generator.get_state();

    public void Restore(Tensor state) => _generator.set_state(state);

    public void Dispose() => _generator.Dispose();
}

/// <summary>An adapter whose dropout stream is part of a training checkpoint.</summary>
public interface IHasDropout
{
    SeededDropout Dropout { get; }
}
