using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cadre.Data.Quality;

/// <summary>
/// The bytes of each row of a delimited or JSONL file as it stands on disk, so curation can copy kept rows verbatim
/// (every column, quoting and line ending as they were) and rewrite only the label of a relabelled row. A row's
/// bytes run from the start of its first line to the start of the next row (valid or skipped), so blank lines after
/// a row travel with it; the header and anything before the first row stay in place.
/// </summary>
public sealed class RawRecords
{
    public byte[] Bytes { get; }
    /// <summary>Per example of the data set: where its bytes start and how many there are.</summary>
    public IReadOnlyList<(long Offset, int Length)> Spans { get; }

    private RawRecords(byte[] bytes, List<(long, int)> spans) => (Bytes, Spans) = (bytes, spans);

    public static bool Supports(TableSource source) =>
        (source.Format ?? FormatSniffer.Guess(source.Path, source.Label is not null)) is DataFormat.Delimited or DataFormat.Jsonl;

    public static RawRecords Read(TableSource source, Dataset data)
    {
        var bytes = File.ReadAllBytes(source.Path);
        var lineStarts = new List<long> { 0 }; // lineStarts[L - 1] is where 1-based line L starts
        for (var i = 0; i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n') lineStarts.Add(i + 1);
        long Start(int line) => line - 1 < lineStarts.Count ? lineStarts[line - 1] : bytes.Length;
        var starts = data.Examples.Select(e => e.Line).Concat(data.Skipped.Where(p => p.Line > 0).Select(p => p.Line))
            .Distinct().Order().ToArray();
        var spans = new List<(long, int)>(data.Count);
        foreach (var e in data.Examples)
        {
            var at = Array.BinarySearch(starts, e.Line);
            var end = at + 1 < starts.Length ? Start(starts[at + 1]) : bytes.Length;
            spans.Add((Start(e.Line), (int)(end - Start(e.Line))));
        }
        return new RawRecords(bytes, spans);
    }

    public string Text(int example) => Encoding.UTF8.GetString(Bytes, (int)Spans[example].Offset, Spans[example].Length);

    /// <summary>The row's bytes with its label replaced; everything else (other fields, line ending) kept.</summary>
    public static string Relabel(string raw, TableSource source, IReadOnlyList<string>? header, string label)
    {
        var body = raw.TrimEnd('\r', '\n');
        var ending = raw[body.Length..];
        var format = source.Format ?? FormatSniffer.Guess(source.Path, true);
        return (format == DataFormat.Jsonl ? RelabelJson(body, source.Label!, label) : RelabelDelimited(body, source, header, label)) + ending;
    }

    /// <summary>The header's field names of a delimited file read with a header, else null.</summary>
    public static IReadOnlyList<string>? Header(TableSource source)
    {
        var format = source.Format ?? FormatSniffer.Guess(source.Path, true);
        if (format != DataFormat.Delimited || !(source.Header ?? (source.Text.Name is not null || source.Label?.Name is not null)))
            return null;
        var delimiter = Delimiter(source);
        var first = new DelimitedReader(source.Path, delimiter, delimiter != '\t').Read().FirstOrDefault();
        return first?.Fields.Select(f => f.Trim()).ToList();
    }

    private static char Delimiter(TableSource s) => s.Delimiter ?? FormatSniffer.Delimiter(s.Path) ?? ',';

    private static string RelabelDelimited(string body, TableSource source, IReadOnlyList<string>? header, string label)
    {
        var delimiter = Delimiter(source);
        var quoting = delimiter != '\t';
        var column = source.Label!.Index ?? header?.ToList().FindIndex(h => string.Equals(h, source.Label.Name, StringComparison.OrdinalIgnoreCase))
                     ?? throw new CadreException($"{source.Path}: label column '{source.Label}' not found");
        var spans = FieldSpans(body, delimiter, quoting);
        if (column < 0 || column >= spans.Count)
            throw new CadreException($"{source.Path}: no label column {source.Label} in a row to relabel");
        string value;
        if (!quoting)
        {
            if (label.Contains(delimiter) || label.Contains('\n'))
                throw new CadreException($"label '{label}' cannot be written into a tab-separated file without quoting");
            value = label;
        }
        else
            value = label.IndexOfAny([delimiter, '"', '\n', '\r']) >= 0 || label != label.Trim() ? "\"" + label.Replace("\"", "\"\"") + "\"" : label;
        var (start, length) = spans[column];
        return body[..start] + value + body[(start + length)..];
    }

    /// <summary>Where each field of one record lies in its text (quotes included), by the rules of <see cref="DelimitedReader"/>.</summary>
    private static List<(int Start, int Length)> FieldSpans(string body, char delimiter, bool quoting)
    {
        var spans = new List<(int, int)>();
        var start = 0;
        var inQuotes = false;
        var atStart = true;
        for (var i = 0; i < body.Length; i++)
        {
            var ch = body[i];
            if (inQuotes)
            {
                if (ch == '"' && i + 1 < body.Length && body[i + 1] == '"') i++;
                else if (ch == '"') inQuotes = false;
                continue;
            }
            if (quoting && ch == '"' && atStart) { inQuotes = true; atStart = false; }
            else if (ch == delimiter) { spans.Add((start, i - start)); start = i + 1; atStart = true; }
            else atStart = false;
        }
        spans.Add((start, body.Length - start));
        return spans;
    }

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string RelabelJson(string body, ColumnRef column, string label)
    {
        var node = JsonNode.Parse(body) ?? throw new CadreException("a JSONL row to relabel is null");
        JsonNode? old;
        switch (node)
        {
            case JsonObject o when column.Name is { } name:
                old = o[name];
                o[name] = Value(old, label);
                break;
            case JsonObject o:
                var key = o.ElementAt(column.Index!.Value).Key;
                old = o[key];
                o[key] = Value(old, label);
                break;
            case JsonArray a when column.Index is { } i:
                old = a[i];
                a[i] = Value(old, label);
                break;
            default:
                throw new CadreException($"a JSONL row to relabel has no label field {column}");
        }
        return node.ToJsonString(Compact);
    }

    /// <summary>A number stays a number (and a boolean a boolean) when the new label reads as one; otherwise a string.</summary>
    private static JsonNode Value(JsonNode? old, string label)
    {
        var kind = old?.GetValueKind();
        if (kind == JsonValueKind.Number && double.TryParse(label, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
            return JsonNode.Parse(label)!;
        if (kind is JsonValueKind.True or JsonValueKind.False && bool.TryParse(label, out var b))
            return JsonValue.Create(b);
        return JsonValue.Create(label);
    }
}
