using System.Buffers.Binary;
using Cadre.Tensors;

namespace Cadre.Store;

/// <summary>
/// Element values of raw little-endian tensor bytes as doubles, a chunk at a time, and back. Diffs and merges read
/// tensors through this, so they stream: memory stays at a few chunks whatever the tensor's size.
/// </summary>
public static class TensorElements
{
    /// <summary>Elements per chunk (8 MiB of doubles).</summary>
    public const int ChunkElements = 1 << 20;

    public static bool IsFloat(DType dtype) => dtype is DType.F64 or DType.F32 or DType.F16 or DType.BF16;

    /// <summary>Decodes <paramref name="raw"/> (whole elements) into <paramref name="values"/>.</summary>
    public static void Decode(DType dtype, ReadOnlySpan<byte> raw, Span<double> values)
    {
        var size = dtype.Size();
        for (int i = 0, at = 0; i < values.Length; i++, at += size)
        {
            var b = raw.Slice(at, size);
            values[i] = dtype switch
            {
                DType.F64 => BinaryPrimitives.ReadDoubleLittleEndian(b),
                DType.F32 => BinaryPrimitives.ReadSingleLittleEndian(b),
                DType.F16 => (double)BinaryPrimitives.ReadHalfLittleEndian(b),
                DType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
                DType.I64 => BinaryPrimitives.ReadInt64LittleEndian(b),
                DType.I32 => BinaryPrimitives.ReadInt32LittleEndian(b),
                DType.I16 => BinaryPrimitives.ReadInt16LittleEndian(b),
                DType.I8 => (sbyte)b[0],
                _ => b[0],
            };
        }
    }

    /// <summary>Encodes doubles as <paramref name="dtype"/> (round to nearest even; integers round and saturate).</summary>
    public static void Encode(DType dtype, ReadOnlySpan<double> values, Span<byte> raw)
    {
        var size = dtype.Size();
        for (int i = 0, at = 0; i < values.Length; i++, at += size)
        {
            var b = raw.Slice(at, size);
            var v = values[i];
            switch (dtype)
            {
                case DType.F64: BinaryPrimitives.WriteDoubleLittleEndian(b, v); break;
                case DType.F32: BinaryPrimitives.WriteSingleLittleEndian(b, (float)v); break;
                case DType.F16: BinaryPrimitives.WriteHalfLittleEndian(b, (Half)v); break;
                case DType.BF16: BinaryPrimitives.WriteUInt16LittleEndian(b, ToBFloat16((float)v)); break;
                case DType.I64: BinaryPrimitives.WriteInt64LittleEndian(b, (long)Math.Clamp(Math.Round(v), long.MinValue, long.MaxValue)); break;
                case DType.I32: BinaryPrimitives.WriteInt32LittleEndian(b, (int)Math.Clamp(Math.Round(v), int.MinValue, int.MaxValue)); break;
                case DType.I16: BinaryPrimitives.WriteInt16LittleEndian(b, (short)Math.Clamp(Math.Round(v), short.MinValue, short.MaxValue)); break;
                case DType.I8: b[0] = (byte)(sbyte)Math.Clamp(Math.Round(v), sbyte.MinValue, sbyte.MaxValue); break;
                case DType.BOOL: b[0] = v != 0 ? (byte)1 : (byte)0; break;
                default: b[0] = (byte)Math.Clamp(Math.Round(v), 0, 255); break;
            }
        }
    }

    /// <summary>float32 → bfloat16 with round-to-nearest-even, NaN kept NaN (as PyTorch converts).</summary>
    private static ushort ToBFloat16(float f)
    {
        if (float.IsNaN(f)) return 0x7fc0;
        var bits = (uint)BitConverter.SingleToInt32Bits(f);
        bits += 0x7fff + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }

    /// <summary>
    /// Reads two equally shaped tensors side by side, calling <paramref name="visit"/> with matching chunks of values.
    /// </summary>
    public static void Zip(DType dtypeA, Stream a, DType dtypeB, Stream b, long count, Action<ReadOnlySpan<double>, ReadOnlySpan<double>> visit)
    {
        var rawA = new byte[ChunkElements * dtypeA.Size()];
        var rawB = new byte[ChunkElements * dtypeB.Size()];
        var x = new double[ChunkElements];
        var y = new double[ChunkElements];
        for (long done = 0; done < count; done += ChunkElements)
        {
            var n = (int)Math.Min(ChunkElements, count - done);
            a.ReadExactly(rawA, 0, n * dtypeA.Size());
            b.ReadExactly(rawB, 0, n * dtypeB.Size());
            Decode(dtypeA, rawA.AsSpan(0, n * dtypeA.Size()), x.AsSpan(0, n));
            Decode(dtypeB, rawB.AsSpan(0, n * dtypeB.Size()), y.AsSpan(0, n));
            visit(x.AsSpan(0, n), y.AsSpan(0, n));
        }
    }

    /// <summary>All of a (small) tensor's values.</summary>
    public static double[] ReadAll(DType dtype, Stream raw, long count)
    {
        if (count > 256L << 20) throw new CadreException($"a tensor of {count} elements is too large to read whole here");
        var bytes = new byte[count * dtype.Size()];
        raw.ReadExactly(bytes);
        var values = new double[count];
        Decode(dtype, bytes, values);
        return values;
    }
}
