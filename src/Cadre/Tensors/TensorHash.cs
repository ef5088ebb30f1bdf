using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Cadre.Tensors;

/// <summary>
/// The content address of one tensor: SHA-256, lower-case hex, over
/// <c>"cadre-tensor-v1\0" + dtype name (UTF-8) + "\0" + rank (int64 LE) + each dimension (int64 LE) + raw bytes</c>.
/// Equal values with another dtype or shape hash differently; the file layout around the tensor does not matter.
/// </summary>
public static class TensorHash
{
    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("cadre-tensor-v1\0");

    public static string Compute(DType dtype, IReadOnlyList<long> shape, ReadOnlySpan<byte> bytes)
    {
        using var hash = Start(dtype, shape);
        hash.AppendData(bytes);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Streams the bytes: memory stays bounded whatever the tensor's size.</summary>
    public static string Compute(DType dtype, IReadOnlyList<long> shape, Stream bytes)
    {
        using var hash = Start(dtype, shape);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = bytes.Read(buffer, 0, buffer.Length)) > 0)
            hash.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The hash of a whole state dict: SHA-256 over the sorted "name\0hash\n" lines.</summary>
    public static string Combine(IEnumerable<KeyValuePair<string, string>> tensorHashes)
    {
        var sb = new StringBuilder();
        foreach (var (name, h) in tensorHashes.OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append(name).Append('\0').Append(h).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static IncrementalHash Start(DType dtype, IReadOnlyList<long> shape)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Prefix);
        hash.AppendData(Encoding.UTF8.GetBytes(dtype.Name() + "\0"));
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(number, shape.Count);
        hash.AppendData(number);
        foreach (var d in shape)
        {
            BinaryPrimitives.WriteInt64LittleEndian(number, d);
            hash.AppendData(number);
        }
        return hash;
    }
}
