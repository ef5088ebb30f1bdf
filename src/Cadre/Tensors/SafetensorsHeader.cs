using System.Text.Json;
using System.Text.Unicode;

namespace Cadre.Tensors;

/// <summary>
/// Parses and validates a safetensors header before anything is allocated for the data: strict UTF-8, one JSON object
/// without duplicate keys, known dtypes, shapes of non-negative integers whose byte size does not overflow and equals
/// the <c>data_offsets</c> span, <c>__metadata__</c> a map of strings, and ranges that tile the data buffer exactly
/// (no overlap, no gap, nothing after the last tensor), as Hugging Face requires. Public because a header can also
/// come from elsewhere than a local file (the first bytes of a remote file fetched with a range request).
/// </summary>
public static class SafetensorsHeader
{
    /// <summary>Headers above this size are refused (Hugging Face's own limit, MAX_HEADER_SIZE).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>More dimensions than this is a malformed file, not a tensor (PyTorch itself stops at 64).</summary>
    private const int MaxRank = 64;

    /// <summary>
    /// Parses <paramref name="header"/> (the N bytes after the length), given the data buffer's length, or throws a
    /// <see cref="CadreException"/> whose message starts with <paramref name="file"/>. Tensors come back in file order.
    /// </summary>
    public static (IReadOnlyList<TensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> header, long bufferLength, string file)
    {
        if (!Utf8.IsValid(header))
            throw Error(file, "header is not valid UTF-8");
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
                    throw Error(file, $"duplicate key '{Shown(name)}' in header");
                reader.Read();
                if (name == MetadataKey)
                    ReadMetadata(ref reader, metadata, file);
                else
                    tensors.Add(ReadTensor(ref reader, name, bufferLength, file));
            }
            if (reader.Read())
                throw Error(file, "header has content after its JSON object");
        }
        catch (JsonException e)
        {
            throw Error(file, $"header is not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException e) // a string escape that is no valid UTF-16 (a lone surrogate)
        {
            throw Error(file, $"header is not valid JSON ({e.Message})");
        }
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        CheckTiling(tensors, bufferLength, file);
        return (tensors, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string file)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return; // Hugging Face reads "__metadata__": null as no metadata
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(file, $"{MetadataKey} must be an object of strings");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Error(file, $"{MetadataKey} '{Shown(key)}' must be a string, not {Describe(reader.TokenType)}");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Error(file, $"duplicate key '{Shown(key)}' in {MetadataKey}");
        }
    }

    private static TensorInfo ReadTensor(ref Utf8JsonReader reader, string name, long bufferLength, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(file, $"tensor '{Shown(name)}': entry must be an object, not {Describe(reader.TokenType)}");
        DType? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            reader.Read();
            if ((field == "dtype" && dtype is not null) || (field == "shape" && shape is not null)
                || (field == "data_offsets" && offsets is not null))
                throw Error(file, $"tensor '{Shown(name)}': duplicate field '{field}'");
            switch (field)
            {
                case "dtype":
                    if (reader.TokenType != JsonTokenType.String)
                        throw Error(file, $"tensor '{Shown(name)}': dtype must be a string, not {Describe(reader.TokenType)}");
                    var text = reader.GetString()!;
                    dtype = DTypes.Parse(text) ?? throw Error(file,
                        $"tensor '{Shown(name)}': unknown dtype '{Shown(text)}' (Cadre reads {string.Join(", ", Enum.GetNames<DType>())})");
                    break;
                case "shape":
                    shape = ReadIntegers(ref reader, name, "shape", MaxRank, file);
                    break;
                case "data_offsets":
                    offsets = ReadIntegers(ref reader, name, "data_offsets", 2, file);
                    break;
                default:
                    reader.Skip(); // unknown fields are tolerated, as Hugging Face's reader does
                    break;
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw Error(file, $"tensor '{Shown(name)}': needs dtype, shape and data_offsets");
        var shapeText = "[" + string.Join(", ", shape) + "]";
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw Error(file, $"tensor '{Shown(name)}': data_offsets must be [begin, end] with begin <= end");
        if (offsets[1] > bufferLength)
            throw Error(file, $"tensor '{Shown(name)}': data_offsets [{offsets[0]}, {offsets[1]}] run past the {bufferLength}-byte data buffer (truncated?)");
        var bytes = dtype.Value.ByteLength(shape)
            ?? throw Error(file, $"tensor '{Shown(name)}': shape {shapeText} of {dtype} is too large (its byte size overflows)");
        if (bytes != offsets[1] - offsets[0])
            throw Error(file, $"tensor '{Shown(name)}': shape {shapeText} of {dtype} needs {bytes} bytes but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}");
        return new TensorInfo(name, dtype.Value, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(ref Utf8JsonReader reader, string name, string field, int max, string file)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Error(file, $"tensor '{Shown(name)}': {field} must be an array of integers, not {Describe(reader.TokenType)}");
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v) || v < 0)
                throw Error(file, $"tensor '{Shown(name)}': {field} must hold non-negative integers");
            if (values.Count == max)
                throw Error(file, $"tensor '{Shown(name)}': {field} has more than {max} entries");
            values.Add(v);
        }
        return [.. values];
    }

    /// <summary>The ranges, sorted by offset, must cover [0, bufferLength) exactly once (empty tensors may sit anywhere on a boundary).</summary>
    private static void CheckTiling(List<TensorInfo> sorted, long bufferLength, string file)
    {
        long position = 0;
        TensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin < position)
                throw Error(file, $"tensor '{Shown(t.Name)}': data_offsets [{t.Begin}, {t.End}] overlap tensor '{Shown(previous!.Name)}' [{previous.Begin}, {previous.End}]");
            if (t.Begin > position)
                throw Error(file, $"tensor '{Shown(t.Name)}': data_offsets [{t.Begin}, {t.End}] leave a gap of {t.Begin - position} bytes after byte {position} of the data buffer");
            position = t.End;
            previous = t;
        }
        if (position != bufferLength)
            throw Error(file, $"{bufferLength - position} bytes after the last tensor are not described by the header");
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string Shown(string text) => CadreException.Shown(text);

    internal static CadreException Error(string file, string problem) => new($"{file}: {problem}");
}
