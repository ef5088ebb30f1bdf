using static TorchSharp.torch;

namespace Cadre.Tensors;

/// <summary>
/// A tensor's values as a flat row-major array. TorchSharp's <c>data&lt;T&gt;().ToArray()</c> throws
/// ArgumentOutOfRangeException ('startingIndex') on a tensor with no elements; an empty input (no rows, no
/// classes) must give an empty array instead.
/// </summary>
public static class TensorValues
{
    public static float[] Floats(Tensor t) => t.numel() == 0 ? [] : t.contiguous().data<float>().ToArray();

    public static long[] Longs(Tensor t) => t.numel() == 0 ? [] : t.contiguous().data<long>().ToArray();
}
