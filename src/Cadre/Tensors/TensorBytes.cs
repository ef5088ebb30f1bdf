using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Tensors;

/// <summary>
/// Access to a contiguous CPU tensor's storage as byte spans. TorchSharp's <c>Tensor.bytes</c> is one span and so
/// stops at 2 GiB; embedding tables of large models pass that, so storage is visited in chunks of flat slices.
/// </summary>
internal static class TensorBytes
{
    /// <summary>Chunk size; a field so that tests can exercise the multi-chunk path with small tensors.</summary>
    internal static long ChunkBytes = 1L << 30;

    internal delegate void ChunkVisitor(long offset, Span<byte> chunk);

    /// <summary>
    /// Calls <paramref name="visit"/> with consecutive spans over <paramref name="tensor"/>'s own storage (no copy), in
    /// row-major order; the spans alias the tensor, so writing into them fills it. The tensor must be contiguous on CPU.
    /// </summary>
    internal static void ForEachChunk(Tensor tensor, ChunkVisitor visit)
    {
        if (!tensor.is_contiguous() || tensor.device_type != DeviceType.CPU)
            throw new ArgumentException("tensor must be contiguous on the CPU", nameof(tensor));
        var count = tensor.numel();
        if (count == 0)
            return;
        var elementSize = tensor.element_size();
        var perChunk = Math.Max(1, ChunkBytes / elementSize);
        using var scope = NewDisposeScope(); // the flat view and its slices
        var flat = tensor.view(-1); // (numel,): a view, never a copy, so spans reach the tensor's storage
        for (long start = 0; start < count; start += perChunk)
        {
            var slice = flat.narrow(0, start, Math.Min(perChunk, count - start));
            visit(start * elementSize, slice.bytes);
        }
    }
}
