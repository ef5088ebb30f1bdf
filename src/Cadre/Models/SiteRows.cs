using static TorchSharp.torch;

namespace Cadre.Models;

/// <summary>
/// One site's adapter tensors for one pass, one row each (the S-LoRA / Punica way: gathered per row instead of
/// splitting the batch per adapter): LoRA factors A (B, r, in) and B (B, out, r) with any scaling folded into B, and
/// (IA)³ vectors (B, F) for the input or the output. A row without an adapter here has zeros for LoRA and ones for
/// (IA)³, which change nothing, so padding is exact. The tensors belong to whoever built the pass's context.
/// </summary>
public sealed record SiteRows(Tensor? A, Tensor? B, Tensor? InScale, Tensor? OutScale)
{
    /// <summary>The site's input after per-row (IA)³ input scaling.</summary>
    public Tensor Input(Tensor x) => InScale is { } v ? x * PerRow(v, x) : x;

    /// <summary>The site's output after per-row (IA)³ output scaling and the per-row LoRA update of the original input.</summary>
    public Tensor Output(Tensor x, Tensor y)
    {
        if (OutScale is { } v) y = y * PerRow(v, y);
        if (A is null || B is null) return y;
        var rows = x.shape[0];
        var x3 = x.reshape(rows, -1, x.shape[^1]);                            // (B, T, in), T = 1 for pooled inputs
        var delta = x3.bmm(A.transpose(1, 2)).bmm(B.transpose(1, 2));        // (B, T, in) @ (B, in, r) @ (B, r, out) -> (B, T, out)
        return y + delta.reshape(y.shape);                                   // (..., out)
    }

    /// <summary>A (B, F) table viewed as (B, 1, ..., F) to broadcast over <paramref name="like"/>.</summary>
    private static Tensor PerRow(Tensor table, Tensor like)
    {
        var shape = Enumerable.Repeat(1L, (int)like.dim()).ToArray();
        shape[0] = table.shape[0];
        shape[^1] = table.shape[1];
        return table.view(shape);                                            // (B, 1, ..., F)
    }
}
