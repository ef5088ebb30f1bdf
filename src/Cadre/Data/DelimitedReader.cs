using System.Text;

namespace Cadre.Data;

/// <summary>One record of a delimited file: its fields and the 1-based line on which it starts.</summary>
public sealed record DelimitedRecord(IReadOnlyList<string> Fields, int Line);

/// <summary>
/// Streams records from CSV/TSV/…-separated text with any one-character delimiter: RFC 4180 quoting (delimiters,
/// quotes and newlines inside quoted fields; "" is a quote), CRLF or LF, a UTF-8 BOM. Invalid UTF-8 is an error that
/// names the line. A field or record longer than <see cref="MaxFieldLength"/> is refused before it can exhaust
/// memory. <paramref name="quoting"/> off reads quotes literally (tab-separated files often hold bare quotes).
/// </summary>
public sealed class DelimitedReader(string path, char delimiter, bool quoting = true)
{
    public const int MaxFieldLength = 1 << 20;

    public IEnumerable<DelimitedRecord> Read()
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var start = 0;
        var inQuotes = false;
        var atFieldStart = true;
        foreach (var (line, text) in Utf8LineReader.Read(path, 8 * MaxFieldLength))
        {
            if (!inQuotes)
            {
                start = line;
                if (text.Length == 0)
                    continue; // blank lines are not records
            }
            else
            {
                field.Append('\n'); // the newline inside a quoted field
            }
            for (var i = 0; i < text.Length; i++)
            {
                var ch = text[i];
                if (field.Length >= MaxFieldLength)
                    throw new CadreException($"{path}:{start}: a field longer than {MaxFieldLength} characters; is the delimiter or quoting right?");
                if (inQuotes)
                {
                    if (ch != '"') field.Append(ch);
                    else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else inQuotes = false;
                    continue;
                }
                if (quoting && ch == '"' && atFieldStart)
                {
                    inQuotes = true;
                    atFieldStart = false;
                }
                else if (ch == delimiter)
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                }
                else
                {
                    field.Append(ch);
                    atFieldStart = false;
                }
            }
            if (inQuotes)
                continue; // the record goes on on the next line
            fields.Add(field.ToString());
            field.Clear();
            yield return new DelimitedRecord(fields, start);
            fields = [];
            atFieldStart = true;
        }
        if (inQuotes)
            throw new CadreException($"{path}:{start}: a quoted field is never closed");
    }
}
