using static TorchSharp.torch;

namespace Cadre.Models.Bert;

/// <summary>
/// One batched forward pass. The tensors belong to the caller's dispose scope (or to this object's
/// <see cref="Dispose"/>, whichever comes first).
/// </summary>
public sealed class BertOutput(Tensor lastHiddenState, Tensor sentenceEmbedding, Tensor? poolerOutput) : IDisposable
{
    /// <summary>(B, T, H) token vectors of the last layer; rows past a sequence's length are padding.</summary>
    public Tensor LastHiddenState { get; } = lastHiddenState;

    /// <summary>(B, D) sentence vectors by the model's <see cref="SentencePooling"/>.</summary>
    public Tensor SentenceEmbedding { get; } = sentenceEmbedding;

    /// <summary>(B, H) Hugging Face's <c>pooler_output</c> (tanh of dense of [CLS]); null without a pooler.</summary>
    public Tensor? PoolerOutput { get; } = poolerOutput;

    public void Dispose()
    {
        LastHiddenState.Dispose();
        SentenceEmbedding.Dispose();
        PoolerOutput?.Dispose();
    }
}
