using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Cadre.Tensors;

/// <summary>
/// The content address of one tensor (format <c>cadre-tensor-v1</c>, see docs/formats.md): SHA-256, 64 lower-case hex
/// digits, over
/// <code>"cadre-tensor-v1\0" ‖ dtype name (ASCII, e.g. "F32") ‖ "\0" ‖ rank (int64 LE) ‖ each dimension (int64 LE) ‖ raw bytes</code>
/// where the raw bytes are the tensor's little-endian, row-major contents exactly as safetensors stores them. Equal
/// bytes with another dtype or shape hash differently; where the tensor sits in a file does not matter. Serialized in
/// JSON as the hex string.
/// </summary>
[JsonConverter(typeof(TensorHashJsonConverter))]
public readonly record struct TensorHash
{
    private static readonly byte[] TensorPrefix = Encoding.ASCII.GetBytes("cadre-tensor-v1\0");
    private static readonly byte[] StateDictPrefix = Encoding.ASCII.GetBytes("cadre-state-dict-v1\0");

    private readonly string? _hex;

    private TensorHash(string hex) => _hex = hex;

    /// <summary>The 64 lower-case hex digits.</summary>
    public string Hex => _hex ?? throw new InvalidOperationException("default(TensorHash) holds no hash");

    public override string ToString() => _hex ?? "";

    public static bool TryParse(string? text, out TensorHash hash)
    {
        hash = default;
        if (text is not { Length: 64 } || !text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            return false;
        hash = new TensorHash(text);
        return true;
    }

    /// <summary>Parses 64 lower-case hex digits; anything else is a <see cref="CadreException"/>.</summary>
    public static TensorHash Parse(string text) =>
        TryParse(text, out var hash) ? hash : throw new CadreException($"'{text}' is not a tensor hash (64 lower-case hex digits)");

    public static TensorHash Compute(DType dtype, IReadOnlyList<long> shape, ReadOnlySpan<byte> bytes)
    {
        using var hash = Start(dtype, shape);
        hash.AppendData(bytes);
        return Finish(hash);
    }

    /// <summary>Streams the bytes through a small buffer: memory stays bounded whatever the tensor's size.</summary>
    public static TensorHash Compute(DType dtype, IReadOnlyList<long> shape, Stream bytes)
    {
        using var hash = Start(dtype, shape);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = bytes.Read(buffer, 0, buffer.Length)) > 0)
            hash.AppendData(buffer, 0, read);
        return Finish(hash);
    }

    /// <summary>
    /// Hashes a TorchSharp tensor of any device and layout by value (a contiguous CPU copy is made only when needed,
    /// and disposed); its storage is read in place, in chunks, so tensors above 2 GiB hash too.
    /// </summary>
    public static TensorHash Compute(Tensor tensor)
    {
        var dtype = DTypes.FromScalarType(tensor.dtype);
        using var scope = NewDisposeScope();
        var data = tensor.detach().cpu().contiguous();
        using var hash = Start(dtype, data.shape);
        TensorBytes.ForEachChunk(data, (_, chunk) => hash.AppendData(chunk));
        return Finish(hash);
    }

    /// <summary>
    /// The hash of a whole state dict (format <c>cadre-state-dict-v1</c>): SHA-256 over <c>"cadre-state-dict-v1\0"</c>
    /// then, for each tensor in order of its name's UTF-8 bytes, the name's UTF-8 length (int64 LE), the name, and the
    /// tensor hash's 32 raw bytes. Length prefixes keep any name (even one holding "\0" or hex) unambiguous.
    /// </summary>
    public static TensorHash Combine(IEnumerable<KeyValuePair<string, TensorHash>> tensorHashes)
    {
        var entries = tensorHashes.Select(p => (Name: Encoding.UTF8.GetBytes(p.Key), Hash: Convert.FromHexString(p.Value.Hex)))
                                  .OrderBy(e => e.Name, Utf8Order.Bytes).ToList();
        for (var i = 1; i < entries.Count; i++)
            if (entries[i].Name.AsSpan().SequenceEqual(entries[i - 1].Name))
                throw new ArgumentException($"duplicate tensor name '{Encoding.UTF8.GetString(entries[i].Name)}'", nameof(tensorHashes));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(StateDictPrefix);
        Span<byte> number = stackalloc byte[8];
        foreach (var (name, tensorHash) in entries)
        {
            BinaryPrimitives.WriteInt64LittleEndian(number, name.Length);
            hash.AppendData(number);
            hash.AppendData(name);
            hash.AppendData(tensorHash);
        }
        return Finish(hash);
    }

    /// <summary>A SHA-256 already fed with the tensor's prefix, dtype and shape; append the raw bytes, then <see cref="Finish"/>.</summary>
    internal static IncrementalHash Start(DType dtype, IReadOnlyList<long> shape)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(TensorPrefix);
        hash.AppendData(Encoding.ASCII.GetBytes(dtype.Name() + "\0"));
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

    internal static TensorHash Finish(IncrementalHash hash) => new(Convert.ToHexStringLower(hash.GetHashAndReset()));
}

/// <summary>Writes a <see cref="TensorHash"/> as its hex string and reads it back, refusing anything else.</summary>
public sealed class TensorHashJsonConverter : JsonConverter<TensorHash>
{
    public override TensorHash Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TensorHash.TryParse(reader.TokenType == JsonTokenType.String ? reader.GetString() : null, out var hash)
            ? hash
            : throw new JsonException("a tensor hash must be a string of 64 lower-case hex digits");

    public override void Write(Utf8JsonWriter writer, TensorHash value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Hex);
}
