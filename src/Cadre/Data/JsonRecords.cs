using System.Text.Json;

namespace Cadre.Data;

/// <summary>
/// Rows of a JSON file (not JSON Lines): the root array, or the arrays under chosen top-level keys
/// (<see cref="TableSource.Records"/>, e.g. CLINC150's <c>data_full.json</c> with <c>train</c> and <c>oos_train</c>).
/// A record is an object (columns by name or position) or an array (columns by index). Problems carry the line
/// where the record starts, counted while reading.
/// </summary>
public static class JsonRecords
{
    /// <summary>Largest JSON file read whole (JSON Lines or Parquet stream; JSON must be parsed at once).</summary>
    public const long MaxBytes = 1L << 30;

    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static IEnumerable<(int Line, JsonElement Record)> Read(TableSource s)
    {
        var size = new FileInfo(s.Path).Length;
        if (size > MaxBytes)
            throw new CadreException($"{s.Path}: {size} bytes is more than the {MaxBytes} a JSON file may hold; use JSON Lines or Parquet");
        var bytes = File.ReadAllBytes(s.Path);
        if (bytes is [0xEF, 0xBB, 0xBF, ..]) bytes = bytes[3..]; // a UTF-8 byte order mark
        if (bytes.All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            throw new CadreException($"{s.Path}: empty JSON file");
        var found = new List<(int, JsonElement)>();
        var wanted = s.Records is { Count: > 0 } r ? new HashSet<string>(r, StringComparer.Ordinal) : null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(bytes, Options);
            var lines = new LineCounter(bytes);
            reader.Read();
            if (wanted is null)
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw new CadreException($"{s.Path}: the JSON root is not an array of records; name the arrays to read with records: [key, ...]");
                ReadArray(ref reader, lines, found);
            }
            else
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw new CadreException($"{s.Path}: records: names keys, but the JSON root is not an object");
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var key = reader.GetString()!;
                    reader.Read();
                    if (wanted.Contains(key) && reader.TokenType == JsonTokenType.StartArray && seen.Add(key))
                        ReadArray(ref reader, lines, found);
                    else
                        reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw new CadreException($"{s.Path}: not valid JSON (line {e.LineNumber + 1}: {e.Message.Split(" LineNumber")[0]})");
        }
        if (wanted is not null && wanted.Except(seen).ToList() is { Count: > 0 } missing)
            throw new CadreException($"{s.Path}: no top-level array named {string.Join(", ", missing.Select(m => $"'{m}'"))}");
        return found;
    }

    private static void ReadArray(ref Utf8JsonReader reader, LineCounter lines, List<(int, JsonElement)> found)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var line = lines.At(reader.TokenStartIndex);
            using var doc = JsonDocument.ParseValue(ref reader);
            found.Add((line, doc.RootElement.Clone()));
        }
    }

    /// <summary>1-based line of a byte offset, counting forward only (offsets arrive in increasing order).</summary>
    private sealed class LineCounter(byte[] bytes)
    {
        private long _offset;
        private int _line = 1;

        public int At(long offset)
        {
            for (; _offset < offset; _offset++)
                if (bytes[_offset] == (byte)'\n') _line++;
            return _line;
        }
    }
}
