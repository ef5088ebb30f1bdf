using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Tensors;

namespace Cadre.Store;

/// <summary>What an object holds: a tensor (addressed by its <see cref="TensorHash"/>) or a blob of bytes.</summary>
public enum ObjectKind { Tensor, Blob }

/// <summary>
/// How an object's payload encodes its raw bytes. <c>Raw</c>: as is. <c>Deflate</c>: zlib. <c>ShuffleDeflate</c>:
/// each chunk's bytes grouped by byte position within an element (all first bytes, then all second bytes...), then
/// zlib: a float's sign and exponent bytes repeat far more than its mantissa, so grouping them roughly doubles what
/// zlib saves. <c>XorDeflate</c>: XOR with the raw bytes of <see cref="ObjectHeader.Base"/> (same dtype and shape),
/// then shuffled and zlib: a small update leaves high bytes equal, so they XOR to runs of zeros. <c>Sparse</c>: the
/// elements that differ from the base's, as (gap, element) pairs, zlib. <c>LowRank</c>: a matrix as its base plus
/// U·V (rank <see cref="ObjectHeader.Rank"/>) plus an exact residual (see <see cref="LowRankCodec"/>), zlib.
/// </summary>
public enum ObjectCodec { Raw, Deflate, ShuffleDeflate, XorDeflate, Sparse, LowRank }

/// <summary>
/// The header of an object file (format <c>cadre-object-v1</c>): <c>"CADROBJ1"</c>, the header's JSON length
/// (uint32 LE), the JSON below, then the payload. See docs/formats.md.
/// </summary>
public sealed record ObjectHeader
{
    public static readonly byte[] Magic = "CADROBJ1"u8.ToArray();
    public const int MaxHeaderBytes = 1 << 20;
    /// <summary>Longest delta chain: reading an object decodes at most this many objects beneath it.</summary>
    public const int MaxDepth = 8;

    [JsonPropertyName("kind")] public required ObjectKind Kind { get; init; }
    /// <summary>Tensor objects only: the safetensors dtype name.</summary>
    [JsonPropertyName("dtype")] public string? DType { get; init; }
    [JsonPropertyName("shape")] public long[]? Shape { get; init; }
    /// <summary>Length of the raw (decoded) bytes.</summary>
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("codec")] public required ObjectCodec Codec { get; init; }
    /// <summary>Bytes per shuffled chunk (ShuffleDeflate, XorDeflate).</summary>
    [JsonPropertyName("chunk")] public int Chunk { get; init; }
    /// <summary>The object a delta codec applies to.</summary>
    [JsonPropertyName("base")] public string? Base { get; init; }
    /// <summary>Objects beneath this one in its delta chain (0 for a self-contained object).</summary>
    [JsonPropertyName("depth")] public int Depth { get; init; }
    /// <summary>LowRank only: the rank r of the factors U (m × r) and V (r × n).</summary>
    [JsonPropertyName("rank")] public int Rank { get; init; }

    /// <summary>True for the codecs that apply to the raw bytes of <see cref="Base"/>.</summary>
    [JsonIgnore] public bool IsDelta => Codec is ObjectCodec.XorDeflate or ObjectCodec.Sparse or ObjectCodec.LowRank;

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    [JsonIgnore] public DType TensorDType => Tensors.DTypes.Parse(DType ?? "") ?? throw new CadreException($"object header: unknown dtype '{DType}'");

    [JsonIgnore] public int ElementSize => Kind == ObjectKind.Tensor ? TensorDType.Size() : 1;

    public byte[] Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        var bytes = new byte[Magic.Length + 4 + json.Length];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Magic.Length), (uint)json.Length);
        json.CopyTo(bytes, Magic.Length + 4);
        return bytes;
    }

    /// <summary>Reads and checks a header from the start of <paramref name="stream"/>, leaving it at the payload.</summary>
    public static ObjectHeader Read(Stream stream, string what)
    {
        Span<byte> prefix = stackalloc byte[12];
        try { stream.ReadExactly(prefix); }
        catch (EndOfStreamException) { throw new CadreException($"{what}: truncated object header"); }
        if (!prefix[..8].SequenceEqual(Magic))
            throw new CadreException($"{what}: not a Cadre object (bad magic)");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (length > MaxHeaderBytes)
            throw new CadreException($"{what}: object header of {length} bytes exceeds the {MaxHeaderBytes}-byte limit");
        var json = new byte[length];
        try { stream.ReadExactly(json); }
        catch (EndOfStreamException) { throw new CadreException($"{what}: truncated object header"); }
        ObjectHeader header;
        try
        {
            header = JsonSerializer.Deserialize<ObjectHeader>(json, Json) ?? throw new CadreException($"{what}: empty object header");
        }
        catch (JsonException e)
        {
            throw new CadreException($"{what}: malformed object header ({e.Message})");
        }
        header.Check(what);
        return header;
    }

    /// <summary>Refuses impossible headers before anything is allocated or decoded from them.</summary>
    public void Check(string what)
    {
        var errors = new List<string>();
        if (Size < 0) errors.Add("negative size");
        if (Kind == ObjectKind.Tensor)
        {
            if (Tensors.DTypes.Parse(DType ?? "") is not { } dtype)
                errors.Add($"unknown dtype '{DType}'");
            else if (Shape is null || Shape.Any(d => d < 0) || Shape.Length > 16)
                errors.Add("bad shape");
            else
            {
                long count = 1;
                foreach (var d in Shape)
                    count = d == 0 ? 0 : count > long.MaxValue / Math.Max(d, 1) ? -1 : count * d;
                if (count < 0 || count > long.MaxValue / dtype.Size() || count * dtype.Size() != Size)
                    errors.Add($"size {Size} does not match dtype {DType} and shape [{string.Join(", ", Shape)}]");
            }
        }
        else if (Codec is ObjectCodec.XorDeflate or ObjectCodec.Sparse or ObjectCodec.ShuffleDeflate or ObjectCodec.LowRank)
            errors.Add($"a blob cannot use codec {Codec}");
        if (Codec == ObjectCodec.LowRank)
        {
            if (Shape is not { Length: 2 } || DType is not ("F32" or "F16" or "BF16")) errors.Add("a low-rank object must be a float matrix");
            else if (Rank < 1 || Rank > LowRankCodec.MaxRank || (Shape[0] + Shape[1]) * Rank * 4 > Size)
                errors.Add($"rank {Rank} is impossible for shape [{string.Join(", ", Shape)}]");
        }
        else if (Rank != 0) errors.Add("only a low-rank object has a rank");
        if (IsDelta)
        {
            if (!ObjectIds.IsValid(Base)) errors.Add("delta without a valid base id");
            if (Depth is < 1 or > MaxDepth) errors.Add($"delta depth {Depth} outside 1..{MaxDepth}");
        }
        else if (Base is not null || Depth != 0) errors.Add("a self-contained object names a base");
        if (Codec is ObjectCodec.ShuffleDeflate or ObjectCodec.XorDeflate or ObjectCodec.LowRank && (Chunk <= 0 || Chunk % Math.Max(1, ElementSizeOrOne) != 0))
            errors.Add($"bad chunk size {Chunk}");
        if (errors.Count > 0)
            throw new CadreException($"{what}: invalid object header: {string.Join("; ", errors)}");
    }

    private int ElementSizeOrOne => Kind == ObjectKind.Tensor && Tensors.DTypes.Parse(DType ?? "") is { } d ? d.Size() : 1;
}

/// <summary>Object ids: 64 lower-case hex digits, the SHA-256 of the content under its kind's prefix.</summary>
public static class ObjectIds
{
    private static readonly byte[] BlobPrefix = Encoding.ASCII.GetBytes("cadre-blob-v1\0");

    public static bool IsValid(string? id) => id is { Length: 64 } && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    public static string Check(string id, string what) =>
        IsValid(id) ? id : throw new CadreException($"{what}: '{id}' is not an object id (64 lower-case hex digits)");

    /// <summary>The id of a blob: SHA-256 over <c>"cadre-blob-v1\0" ‖ bytes</c>.</summary>
    public static string OfBlob(ReadOnlySpan<byte> bytes)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(BlobPrefix);
        hash.AppendData(bytes);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static string OfBlob(Stream stream)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(BlobPrefix);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            hash.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The id that an object's raw content hashes to, under its header's kind.</summary>
    public static string OfContent(ObjectHeader header, Stream raw) => header.Kind == ObjectKind.Tensor
        ? TensorHash.Compute(header.TensorDType, header.Shape!, raw).Hex
        : OfBlob(raw);
}
