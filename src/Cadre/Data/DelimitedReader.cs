using System.Text;

namespace Cadre.Data;

/// <summary>One record of a delimited file: its fields and the 1-based line on which it starts.</summary>
public sealed record DelimitedRecord(IReadOnlyList<string> Fields, int Line);

/// <summary>
/// Streams records from CSV/TSV/…-separated text with any one-character delimiter: RFC 4180 quoting (delimiters,
/// quotes and newlines inside quoted fields; "" is a quote), CRLF or LF, a UTF-8 BOM. Invalid UTF-8 is an error that
/// names the line. A field or record longer than <see cref="MaxFieldLength"/> is refused before it can exhaust
/// memory. <paramref name="quoting"/> off reads quotes literally (tab-separated files often hold bare quotes).
/// A quote that is never closed swallows every later line: at the end of the file that is an error naming the line
/// where the quote opened; a quoted field that ends mid-field after spanning lines, or spans more than
/// <see cref="SuspiciousLines"/> lines, probably merged records and is listed in <see cref="Warnings"/>.
/// </summary>
public sealed class DelimitedReader(string path, char delimiter, bool quoting = true)
{
    public const int MaxFieldLength = 1 << 20;
    /// <summary>Lines one quoted field may span before it is suspect (a long e-mail body in a cell stays under it).</summary>
    public const int SuspiciousLines = 100;

    /// <summary>Quoted fields that probably swallowed records, found while <see cref="Read"/> ran (line = where the quote opened).</summary>
    public List<DataProblem> Warnings { get; } = [];

    public IEnumerable<DelimitedRecord> Read()
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var start = 0;
        var inQuotes = false;
        var atFieldStart = true;
        var (quoteLine, lastLine) = (0, 0);
        foreach (var (line, text) in Utf8LineReader.Read(path, 8 * MaxFieldLength))
        {
            lastLine = line;
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
                    else
                    {
                        inQuotes = false;
                        if (line > quoteLine && (line - quoteLine > SuspiciousLines || i + 1 < text.Length && text[i + 1] != delimiter))
                            Warnings.Add(new DataProblem(path, quoteLine, line - quoteLine > SuspiciousLines
                                ? $"a quoted field opened here spans {line - quoteLine + 1} lines (to line {line}); an unterminated quote may have merged records"
                                : $"a quoted field opened here closes mid-field on line {line}; an unterminated quote probably merged lines {quoteLine}-{line} into one record"));
                    }
                    continue;
                }
                if (quoting && ch == '"' && atFieldStart)
                {
                    inQuotes = true;
                    quoteLine = line;
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
            throw new CadreException($"{path}:{quoteLine}: a quoted field is never closed: the quote that opens on this line swallows lines {quoteLine}-{lastLine}, to the end of the file; close it, or double a quote inside a field (\"\")");
    }
}
