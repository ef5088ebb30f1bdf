using TorchSharp;

namespace Cadre.Tensors;

/// <summary>
/// The element types of the safetensors format that Cadre reads and writes. The names are the header's dtype strings;
/// values are stored little-endian, row-major. BOOL takes one byte per element (0 or 1), as in PyTorch.
/// </summary>
public enum DType
{
    F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL,
}

/// <summary>Element sizes, header names and the mapping to and from TorchSharp's <see cref="torch.ScalarType"/>.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype switch
    {
        DType.F64 or DType.I64 => 8,
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.I16 => 2,
        DType.I8 or DType.U8 or DType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Parses the header's dtype string (case-sensitive, as Hugging Face); null for names Cadre does not know.</summary>
    public static DType? Parse(string name) => name switch
    {
        "F64" => DType.F64, "F32" => DType.F32, "F16" => DType.F16, "BF16" => DType.BF16,
        "I64" => DType.I64, "I32" => DType.I32, "I16" => DType.I16, "I8" => DType.I8,
        "U8" => DType.U8, "BOOL" => DType.BOOL,
        _ => null,
    };

    /// <summary>The header's dtype string, e.g. "BF16".</summary>
    public static string Name(this DType dtype) => dtype.ToString();

    /// <summary>
    /// The position of the dtype in Hugging Face's <c>Dtype</c> enum (safetensors/src/tensor.rs), which lists dtypes
    /// in increasing alignment; its writer lays tensors out by this rank, descending, then by name. Only the relative
    /// order matters: gaps stand for dtypes Cadre does not handle (F8_*, U16, U32, U64).
    /// </summary>
    internal static int HuggingFaceRank(this DType dtype) => dtype switch
    {
        DType.BOOL => 0, DType.U8 => 1, DType.I8 => 2, DType.I16 => 5, DType.F16 => 7, DType.BF16 => 8,
        DType.I32 => 9, DType.F32 => 11, DType.F64 => 12, DType.I64 => 13,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static torch.ScalarType ToScalarType(this DType dtype) => dtype switch
    {
        DType.F64 => torch.ScalarType.Float64,
        DType.F32 => torch.ScalarType.Float32,
        DType.F16 => torch.ScalarType.Float16,
        DType.BF16 => torch.ScalarType.BFloat16,
        DType.I64 => torch.ScalarType.Int64,
        DType.I32 => torch.ScalarType.Int32,
        DType.I16 => torch.ScalarType.Int16,
        DType.I8 => torch.ScalarType.Int8,
        DType.U8 => torch.ScalarType.Byte,
        DType.BOOL => torch.ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>The safetensors dtype of a TorchSharp scalar type; complex and other types are a <see cref="CadreException"/>.</summary>
    public static DType FromScalarType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float64 => DType.F64,
        torch.ScalarType.Float32 => DType.F32,
        torch.ScalarType.Float16 => DType.F16,
        torch.ScalarType.BFloat16 => DType.BF16,
        torch.ScalarType.Int64 => DType.I64,
        torch.ScalarType.Int32 => DType.I32,
        torch.ScalarType.Int16 => DType.I16,
        torch.ScalarType.Int8 => DType.I8,
        torch.ScalarType.Byte => DType.U8,
        torch.ScalarType.Bool => DType.BOOL,
        _ => throw new CadreException($"tensor dtype {type} cannot be stored in safetensors by Cadre"),
    };

    /// <summary>
    /// Bytes of <paramref name="shape"/> elements of <paramref name="dtype"/>, or null when a dimension is negative or
    /// the product overflows (checked at every step, as Hugging Face's validation does, so [2^62, 4, 0] is refused too).
    /// </summary>
    internal static long? ByteLength(this DType dtype, IReadOnlyList<long> shape)
    {
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0 || (d != 0 && elements > long.MaxValue / d))
                return null;
            elements *= d;
        }
        return elements > long.MaxValue / dtype.Size() ? null : elements * dtype.Size();
    }
}
