using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>
/// Per layer, keys and values of shape (B, KVH, Capacity, D), allocated on first use with the dtype and device of
/// the first keys. Appending copies T new positions in place, so a step costs O(T) and never re-allocates; the
/// price is the full capacity up front (2 · layers · B · KVH · capacity · D values). Meant for inference: the
/// generator runs under no_grad, so nothing here holds an autograd graph.
/// </summary>
internal sealed class LlamaKvCache : IKeyValueCache
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly LlamaConfig _config;

    public LlamaKvCache(LlamaConfig config, int batchSize, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _config = config;
        BatchSize = batchSize;
        Capacity = capacity;
        _keys = new Tensor?[config.NumHiddenLayers];
        _values = new Tensor?[config.NumHiddenLayers];
    }

    public int Length { get; private set; }
    public int Capacity { get; }
    public int BatchSize { get; }

    /// <summary>Refuses a step of <paramref name="newTokens"/> positions that would not fit, before any layer runs.</summary>
    internal void EnsureRoom(long batchSize, long newTokens)
    {
        if (batchSize != BatchSize)
            throw new CadreException($"the cache was made for batch size {BatchSize}, not {batchSize}");
        if (Length + newTokens > Capacity)
            throw new CadreException($"the cache holds {Capacity} positions: {Length} used, {newTokens} more do not fit");
    }

    /// <summary>
    /// Writes k and v (B, KVH, T, D) at positions Length .. Length + T - 1 of <paramref name="layer"/> and returns
    /// views of every stored position, (B, KVH, Length + T, D). <see cref="Advance"/> moves Length once all layers ran.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var t = k.shape[2];
        var keys = _keys[layer] ??= Allocate(k);
        var values = _values[layer] ??= Allocate(v);
        keys.narrow(2, Length, t).copy_(k);     // (B, KVH, T, D) slice of the buffer
        values.narrow(2, Length, t).copy_(v);   // (B, KVH, T, D)
        return (keys.narrow(2, 0, Length + t), values.narrow(2, 0, Length + t)); // (B, KVH, S, D)
    }

    internal void Advance(long newTokens) => Length += (int)newTokens;

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
            t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
    }

    private Tensor Allocate(Tensor like) =>
        zeros([BatchSize, _config.NumKeyValueHeads, Capacity, _config.HeadDim], like.dtype, like.device).DetachFromDisposeScope();
}
