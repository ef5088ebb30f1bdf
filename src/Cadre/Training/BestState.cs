using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>
/// The best epoch so far by a score where higher is better, with a copy of its weights to restore when the run ends,
/// and early stopping: <paramref name="patience"/> epochs without a better score end the run (0: never). A resumed run
/// starts from the best its checkpoint saved.
/// </summary>
public sealed class BestState(int patience, double score = double.NegativeInfinity, int epoch = 0, StateSnapshot? state = null) : IDisposable
{
    public double Score { get; private set; } = score;
    public int Epoch { get; private set; } = epoch;
    /// <summary>The best epoch's weights; null before the first epoch ends.</summary>
    public StateSnapshot? State { get; private set; } = state;

    /// <summary>Keeps <paramref name="snapshot"/>'s copy of this epoch when <paramref name="score"/> beats the best so far.</summary>
    public bool Offer(int epoch, double score, Func<StateSnapshot> snapshot)
    {
        if (!(score > Score)) return false; // NaN never wins
        (Score, Epoch) = (score, epoch);
        State?.Dispose();
        State = snapshot();
        return true;
    }

    /// <summary>Whether the run stops after <paramref name="epoch"/>: the best is <c>patience</c> epochs old.</summary>
    public bool ShouldStop(int epoch) => patience > 0 && epoch - Epoch >= patience;

    /// <summary>The weights to restore once the run ends.</summary>
    public IReadOnlyDictionary<string, Tensor> Weights => State?.Tensors ?? throw new CadreException("training ran no epoch");

    public void Dispose() => State?.Dispose();
}
