using Cadre.Tokenizers;
using static TorchSharp.torch;

namespace Cadre.Models;

/// <summary>
/// Keys and values of past positions, so a decoder extends a sequence one token at a time in O(T) instead of
/// recomputing all T positions. Owns detached tensors sized for <see cref="Capacity"/> positions; dispose it.
/// </summary>
public interface IKeyValueCache : IDisposable
{
    /// <summary>Positions stored so far: the position the next token gets.</summary>
    int Length { get; }

    /// <summary>Positions it can hold; a forward call that would pass it is refused.</summary>
    int Capacity { get; }

    int BatchSize { get; }
}

/// <summary>A base that predicts the next token: a decoder-only language model such as Llama.</summary>
public interface ICausalLanguageModel : IBaseModel
{
    int VocabularySize { get; }

    /// <summary>Positions the model was trained for (<c>max_position_embeddings</c>).</summary>
    int ContextLength { get; }

    /// <summary>Ids that end a generation: the end-of-sequence ids and BOS (which, as in llama2.c, starts a new text).</summary>
    IReadOnlyList<int> StopTokenIds { get; }

    /// <summary>The tokenizer found beside the weights, or null when none was.</summary>
    SentencePieceBpeTokenizer? Tokenizer { get; }

    /// <summary>
    /// Logits (B, T, V) for token ids (B, T) of int64. With a cache, the ids continue what it holds: their keys and
    /// values are appended and attention sees every cached position; without one, the ids are a whole sequence.
    /// <paramref name="lastPositionOnly"/> returns (B, 1, V), sparing the output layer for every prompt position.
    /// <paramref name="context"/> carries what this pass adapts per row, as for encoders (null: the base with what is
    /// attached to it); its rows are the cache's rows, so one context serves every step of a generation.
    /// </summary>
    Tensor Forward(Tensor inputIds, IKeyValueCache? cache = null, bool lastPositionOnly = false, ForwardContext? context = null);

    /// <summary>An empty cache for <paramref name="batchSize"/> rows of up to <paramref name="capacity"/> positions.</summary>
    IKeyValueCache CreateCache(int batchSize, int capacity);
}
