using static TorchSharp.torch;

namespace Cadre.Adapters;

/// <summary>Per-row masks for batches that mix specialists (see <see cref="Models.ISiteAdapter"/>).</summary>
internal static class RowSlots
{
    /// <summary>(B, 1, ..., 1) with <paramref name="rank"/> dims: 1 where a row uses slot <paramref name="slot"/>, else 0.</summary>
    public static Tensor Mask(Tensor rowSlots, long rank, ScalarType dtype, long slot = 0)
    {
        var shape = new long[rank];
        Array.Fill(shape, 1L);
        shape[0] = rowSlots.shape[0];
        return rowSlots.eq(slot).to(dtype).view(shape);
    }
}
