using static TorchSharp.torch;

namespace Cadre.Merge;

/// <summary>A low-rank factorization ΔW ≈ B · A and how far it is from ΔW.</summary>
public sealed record LoraFactors(Tensor A, Tensor B, double DeltaNorm, double ErrorNorm) : IDisposable
{
    /// <summary>‖ΔW − B·A‖_F / ‖ΔW‖_F (0 for a zero ΔW).</summary>
    public double RelativeError => DeltaNorm > 0 ? ErrorNorm / DeltaNorm : 0;

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}

/// <summary>
/// LoRA merges happen in delta space, ΔW = (alpha / r) · B · A per site, because averaging A and B separately
/// (PEFT's <c>add_weighted_adapter</c> with <c>linear</c>) averages factors, not updates: (B₁ + B₂)(A₁ + A₂) / 4 has
/// cross terms B₁A₂ that neither input has. The merged ΔW goes back to a LoRA pair by truncated SVD,
/// ΔW ≈ U_r S_r V_rᵀ, with √S_r split into both factors: B = U_r √S_r (out, r), A = √S_r V_rᵀ (r, in), to be
/// saved with lora_alpha = r (scale 1). The SVD runs in float64; the best rank-r approximation in Frobenius norm
/// (Eckart–Young), so the reported error is the least any rank-r LoRA can have.
/// </summary>
public static class LoraFactorization
{
    /// <param name="delta">(out, in) merged update</param>
    /// <param name="rank">the LoRA rank to keep; above min(out, in) the factors are padded with zeros</param>
    public static LoraFactors Factor(Tensor delta, int rank)
    {
        if (delta.dim() != 2)
            throw new ArgumentException($"a LoRA update is a matrix, got shape [{string.Join(", ", delta.shape)}]", nameof(delta));
        if (rank < 1)
            throw new ArgumentOutOfRangeException(nameof(rank), "rank must be at least 1");
        using var scope = NewDisposeScope();
        var d = delta.to(ScalarType.Float64);                                        // (out, in)
        var (u, s, vh) = linalg.svd(d, fullMatrices: false);                         // (out, k), (k), (k, in); k = min(out, in)
        var k = (int)s.shape[0];
        var kept = Math.Min(rank, k);
        var root = s.narrow(0, 0, kept).sqrt();                                      // (kept)
        var b = u.narrow(1, 0, kept) * root.unsqueeze(0);                            // (out, kept)
        var a = root.unsqueeze(1) * vh.narrow(0, 0, kept);                           // (kept, in)
        if (kept < rank)
        {
            b = cat([b, zeros(b.shape[0], rank - kept, dtype: ScalarType.Float64)], 1); // (out, rank)
            a = cat([a, zeros(rank - kept, a.shape[1], dtype: ScalarType.Float64)], 0); // (rank, in)
        }
        var deltaNorm = d.norm().item<double>();
        var errorNorm = (d - b.matmul(a)).norm().item<double>();                     // (out, rank) @ (rank, in)
        var fa = a.to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
        var fb = b.to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
        return new LoraFactors(fa, fb, deltaNorm, errorNorm);
    }
}
