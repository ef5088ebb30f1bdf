using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Cadre.Merge;

/// <summary>
/// The sparsification and sign-election steps of TIES and DARE, as mergekit's <c>sparsify.py</c> and
/// <c>generalized_task_arithmetic.py</c> define them.
/// </summary>
public static class Sparsify
{
    /// <summary>
    /// TIES trim: keeps the <c>floor(density · n)</c> entries of largest magnitude (at least one; mergekit refuses a
    /// tensor that would lose every entry), zeroes the rest. Density 1 returns the tensor unchanged.
    /// </summary>
    public static Tensor Magnitude(Tensor tensor, double density)
    {
        if (density >= 1)
            return tensor.alias();
        using var scope = NewDisposeScope();
        var n = tensor.numel();
        var k = Math.Max(1L, (long)Math.Floor(density * n));
        var flat = tensor.reshape(-1);                                          // (n)
        var top = flat.abs().topk((int)Math.Min(k, int.MaxValue)).indexes;      // (k) indices of the largest |x|
        var mask = zeros_like(flat).index_fill_(0, top, 1);                     // (n) 1 where kept
        return (flat * mask).reshape(tensor.shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// DARE: keeps each entry with probability <paramref name="density"/> (drops with p = 1 − density) from a
    /// generator seeded by (seed, tensor key, input), and divides what is kept by the density when
    /// <paramref name="rescale"/>, so every entry keeps its expected value (the DARE paper, PEFT and mergekit before
    /// 0.1; mergekit 0.1 instead rescales to keep the tensor's L1 norm).
    /// </summary>
    public static Tensor Random(Tensor tensor, double density, bool rescale, long seed, string key, int input)
    {
        if (density >= 1)
            return tensor.alias();
        using var scope = NewDisposeScope();
        using var generator = new Generator(DerivedSeed(seed, key, input));
        var keep = rand(tensor.shape, generator: generator, dtype: ScalarType.Float32).lt(density).to(tensor.dtype); // same shape
        var kept = tensor * keep;
        return (rescale ? kept / density : kept).MoveToOuterDisposeScope();
    }

    /// <summary>A seed per (seed, key, input): a merge draws the same masks whatever order it walks tensors in.</summary>
    public static ulong DerivedSeed(long seed, string key, int input)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"cadre-dare\0{seed}\0{key}\0{input}"));
        return BitConverter.ToUInt64(bytes, 0);
    }

    /// <summary>
    /// TIES sign election over weighted task vectors (n, ...): per entry, the elected sign is that of the sum
    /// (<c>sum</c>) or of the majority of signs (<c>count</c>), positive on a tie; the mask (n, ...) is 1 where an
    /// input's sign equals it. A zero entry has sign 0 and never agrees, so it does not count in the mean.
    /// </summary>
    public static Tensor Consensus(Tensor weighted, string method)
    {
        using var scope = NewDisposeScope();
        var sign = weighted.sign();                                             // (n, ...)
        var basis = method == "count" ? sign.sum([0L]) : weighted.sum([0L]);           // (...)
        var majority = basis.ge(0).to(weighted.dtype) * 2 - 1;                   // (...) +1 or -1
        return sign.eq(majority).to(weighted.dtype).MoveToOuterDisposeScope();   // (n, ...) broadcast over inputs
    }
}
