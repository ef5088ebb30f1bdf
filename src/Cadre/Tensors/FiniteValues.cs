using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Cadre.Tensors;

/// <summary>
/// Finds NaN and infinite values in raw little-endian tensor bytes without converting them: a value is not finite
/// exactly when its exponent bits are all ones, for every IEEE float dtype Cadre reads. Integer dtypes are always
/// finite. Works on chunks, so a tensor of any size is checked in bounded memory.
/// </summary>
public static class FiniteValues
{
    /// <summary>
    /// The index (within <paramref name="bytes"/>) of the first element that is NaN or infinite, or -1 if all are
    /// finite. <paramref name="bytes"/> must hold whole elements.
    /// </summary>
    public static long FirstNonFinite(DType dtype, ReadOnlySpan<byte> bytes) => dtype switch
    {
        DType.F32 => First<uint>(bytes, 0x7F80_0000u),
        DType.F64 => First<ulong>(bytes, 0x7FF0_0000_0000_0000ul),
        DType.F16 => First<ushort>(bytes, (ushort)0x7C00),
        DType.BF16 => First<ushort>(bytes, (ushort)0x7F80),
        _ => -1,
    };

    /// <summary>Whether the dtype can hold a NaN or an infinity at all.</summary>
    public static bool IsFloat(DType dtype) => dtype is DType.F32 or DType.F64 or DType.F16 or DType.BF16;

    private static long First<T>(ReadOnlySpan<byte> bytes, T exponent) where T : unmanaged, IBinaryInteger<T>
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("the finite check reads little-endian bytes in place");
        var values = MemoryMarshal.Cast<byte, T>(bytes); // unaligned reads are fine on every platform .NET runs on
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            var mask = new Vector<T>(exponent);
            for (; i <= values.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(values[i..]);
                if (Vector.EqualsAny(v & mask, mask))
                    break; // the scalar loop below finds which element
            }
        }
        for (; i < values.Length; i++)
            if ((values[i] & exponent) == exponent)
                return i;
        return -1;
    }
}
