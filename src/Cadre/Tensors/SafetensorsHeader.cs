using System.Text;
using System.Text.Json;

namespace Cadre.Tensors;

/// <summary>
/// Parses and validates a safetensors header before anything is allocated for the data: length bound, strict UTF-8,
/// a JSON object without duplicate keys, known dtypes, non-negative shapes without overflow, shape × dtype size equal
/// to the byte range, and ranges that tile the data buffer exactly (no overlap, no gap), as Hugging Face requires.
/// </summary>
public static class SafetensorsHeader
{
    /// <summary>Headers above this size are refused (Hugging Face's own limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>Parses <paramref name="header"/>, given the data buffer's length, or throws naming <paramref name="file"/>.</summary>
    public static (IReadOnlyList<TensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> header, long bufferLength, string file)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(header);
        }
        catch (DecoderFallbackException)
        {
            throw Error(file, "header is not valid UTF-8");
        }
        var tensors = new List<TensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Error(file, "header is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!seen.Add(name))
                    throw Error(file, $"duplicate key '{name}' in header");
                reader.Read();
                if (name == MetadataKey)
                    ReadMetadata(ref reader, metadata, file);
                else
                    tensors.Add(ReadTensor(ref reader, name, file));
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                throw Error(file, "header has content after its JSON object");
        }
        catch (JsonException e)
        {
            throw Error(file, $"header is not valid JSON ({e.Message})");
        }
        CheckTiling(tensors, bufferLength, file);
        return (tensors, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(file, "__metadata__ must be an object of strings");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Error(file, $"__metadata__ '{key}' must be a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Error(file, $"duplicate key '{key}' in __metadata__");
        }
    }

    private static TensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(file, $"tensor '{name}': entry must be an object");
        DType? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString();
            reader.Read();
            switch (field)
            {
                case "dtype":
                    var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : "";
                    dtype = DTypes.Parse(text) ?? throw Error(file, $"tensor '{name}': unknown dtype '{text}'");
                    break;
                case "shape":
                    shape = ReadIntegers(ref reader, name, "shape", file);
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(ref reader, name, "data_offsets", file);
                    break;
                default:
                    reader.Skip(); // unknown fields are tolerated, as Hugging Face's reader does
                    break;
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw Error(file, $"tensor '{name}': needs dtype, shape and data_offsets");
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw Error(file, $"tensor '{name}': data_offsets must be [begin, end] with begin <= end");
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.Value.Size());
        }
        catch (OverflowException)
        {
            throw Error(file, $"tensor '{name}': shape [{string.Join(", ", shape)}] is too large");
        }
        if (bytes != offsets[1] - offsets[0])
            throw Error(file, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {bytes} bytes but data_offsets span {offsets[1] - offsets[0]}");
        return new TensorInfo(name, dtype.Value, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(ref Utf8JsonReader reader, string name, string field, string file)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Error(file, $"tensor '{name}': {field} must be an array of integers");
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v) || v < 0)
                throw Error(file, $"tensor '{name}': {field} must hold non-negative integers");
            if (values.Count >= 64)
                throw Error(file, $"tensor '{name}': {field} has more than 64 entries");
            values.Add(v);
        }
        return [.. values];
    }

    private static void CheckTiling(List<TensorInfo> tensors, long bufferLength, string file)
    {
        long position = 0;
        TensorInfo? previous = null;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < position)
                throw Error(file, $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] overlap tensor '{previous!.Name}'");
            if (t.Begin > position)
                throw Error(file, $"tensor '{t.Name}': gap of {t.Begin - position} bytes before data_offsets [{t.Begin}, {t.End}]");
            position = t.End;
            previous = t;
        }
        if (position != bufferLength)
            throw Error(file, position > bufferLength
                ? $"data ends at byte {position} of the buffer but the file holds only {bufferLength} (truncated?)"
                : $"{bufferLength - position} bytes after the last tensor are not described by the header");
    }

    internal static CadreException Error(string file, string problem) => new($"{file}: {problem}");
}
