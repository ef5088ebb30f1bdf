using System.Globalization;
using System.Text.Json;

namespace Cadre.Data;

/// <summary>
/// Reads a <see cref="TableSource"/> into a <see cref="Dataset"/>. Every problem is collected with its file and line
/// (up to <c>maxProblems</c>, then counted) and reported at once; nothing is dropped silently: with
/// <c>skipInvalid</c> bad rows are skipped and listed in <see cref="Dataset.Skipped"/>, without it any problem is a
/// <see cref="CadreException"/>.
/// </summary>
public static class DatasetReader
{
    public static Dataset Read(TableSource source, bool skipInvalid = false, int maxProblems = 50)
    {
        if (!File.Exists(source.Path))
            throw new CadreException($"{source.Path}: file not found");
        var format = source.Format ?? FormatSniffer.Guess(source.Path, source.Label is not null);
        var problems = new List<DataProblem>();
        var warnings = new List<DataProblem>();
        var examples = new List<Example>();
        var rows = format switch
        {
            DataFormat.Jsonl => RecordRows(source, JsonlRecords(source, problems), problems),
            DataFormat.Json => RecordRows(source, JsonRecords.Read(source), problems),
            DataFormat.Lines => LineRows(source),
            DataFormat.Parquet => ParquetRows.Read(source),
            _ => DelimitedRows(source, problems, warnings),
        };
        var declared = source.Labels is { Count: > 0 } ? new HashSet<string>(source.Labels, StringComparer.Ordinal) : null;
        foreach (var (line, text, label) in rows)
        {
            var problem = Validate(source, text, label, declared, out var example, line);
            if (problem is not null)
                problems.Add(new DataProblem(source.Path, line, problem));
            else
                examples.Add(example!);
        }
        if (problems.Count > 0 && (!skipInvalid || problems.Any(p => p.Line == 0)))
        {
            var shown = problems.Take(maxProblems).Select(p => "  " + p);
            var more = problems.Count > maxProblems ? $"\n  ... and {problems.Count - maxProblems} more" : "";
            throw new CadreException($"{source.Path}: {problems.Count} problem(s){(skipInvalid ? "" : " (--skip-invalid, or data.skip_invalid: true in a spec, skips bad rows and reports them)")}:\n"
                                     + string.Join("\n", shown) + more);
        }
        var labels = source.Labels is { Count: > 0 } ? source.Labels
            : examples.SelectMany(e => e.Labels ?? (e.Label is null ? [] : [e.Label])).Distinct().Order(StringComparer.Ordinal).ToList();
        return new Dataset(source.Path, source.Task, examples, labels, problems) { Warnings = warnings };
    }

    private static string? Validate(TableSource s, string text, JsonElement? rawLabel, HashSet<string>? declared,
                                    out Example? example, int line)
    {
        example = null;
        if (string.IsNullOrWhiteSpace(text))
            return "empty text";
        if (s.Label is null)
        {
            example = new Example(text, null, null, null, s.Path, line);
            return null;
        }
        var labelText = rawLabel is { } l ? LabelText(l) : null;
        switch (s.Task)
        {
            case TaskKind.Regression:
                if (labelText is null || !double.TryParse(labelText, NumberStyles.Float, CultureInfo.InvariantCulture, out var target) || !double.IsFinite(target))
                    return $"target '{labelText}' is not a number";
                example = new Example(text, null, null, target, s.Path, line);
                return null;
            case TaskKind.Multilabel:
                var labels = rawLabel is { ValueKind: JsonValueKind.Array } arr
                    ? arr.EnumerateArray().Select(LabelText).OfType<string>().ToList()
                    : (labelText ?? "").Split(s.LabelSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                var unknown = declared is null ? null : labels.FirstOrDefault(x => !declared.Contains(x));
                if (unknown is not null)
                    return $"label '{unknown}' is not in the declared labels";
                example = new Example(text, null, labels, null, s.Path, line);
                return null;
            default:
                if (string.IsNullOrWhiteSpace(labelText))
                    return "empty label";
                if (declared is not null && !declared.Contains(labelText))
                    return $"label '{labelText}' is not in the declared labels ({string.Join(", ", declared.Take(10))}{(declared.Count > 10 ? ", ..." : "")})";
                example = new Example(text, labelText, null, null, s.Path, line);
                return null;
        }
    }

    private static string? LabelText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!.Trim(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static IEnumerable<(int Line, string Text, JsonElement? Label)> LineRows(TableSource s)
    {
        foreach (var (line, text) in Utf8LineReader.Read(s.Path, 8 * DelimitedReader.MaxFieldLength))
        {
            if (text.Length > 0)
                yield return (line, text, null);
        }
    }

    private static IEnumerable<(int, string, JsonElement?)> DelimitedRows(TableSource s, List<DataProblem> problems, List<DataProblem> warnings)
    {
        var delimiter = s.Delimiter ?? FormatSniffer.Delimiter(s.Path)
            ?? throw new CadreException($"{s.Path}: cannot tell the delimiter; set it (delimiter: \"\\t\", \",\", \";\" ...)");
        var header = s.Header ?? (s.Text.Name is not null || s.Label?.Name is not null);
        // Tab-separated files often hold bare quotes inside text; quoting is for comma-like formats.
        var reader = new DelimitedReader(s.Path, delimiter, quoting: delimiter != '\t');
        var records = reader.Read().GetEnumerator();
        using (records)
        {
            IReadOnlyList<string>? columns = null;
            if (header)
            {
                if (!records.MoveNext())
                    throw new CadreException($"{s.Path}: empty file");
                columns = records.Current.Fields.Select(c => c.Trim()).ToList();
            }
            int? width = columns?.Count;
            var textAt = Resolve(s.Text, columns, s.Path, "text");
            var moreAt = s.MoreText.Select(c => Resolve(c, columns, s.Path, "text")).ToList();
            var widest = moreAt.Append(textAt).Max();
            var labelAt = s.Label is null ? (int?)null : Resolve(s.Label, columns, s.Path, "label");
            while (records.MoveNext())
            {
                var r = records.Current;
                width ??= r.Fields.Count;
                if (r.Fields.Count != width)
                {
                    problems.Add(new DataProblem(s.Path, r.Line, $"{r.Fields.Count} fields where the file has {width} (a stray delimiter or quote?)"));
                    continue;
                }
                if (widest >= r.Fields.Count || labelAt >= r.Fields.Count)
                {
                    problems.Add(new DataProblem(s.Path, r.Line, $"no column {Math.Max(widest, labelAt ?? 0)}: the row has {r.Fields.Count} fields"));
                    continue;
                }
                JsonElement? label = labelAt is { } li ? JsonSerializer.SerializeToElement(r.Fields[li]) : null;
                yield return (r.Line, Join(r.Fields[textAt], moreAt.Select(i => r.Fields[i])), label);
            }
            warnings.AddRange(reader.Warnings);
        }
    }

    private static int Resolve(ColumnRef column, IReadOnlyList<string>? header, string path, string role)
    {
        if (column.Index is { } i)
        {
            if (i < 0 || (header is not null && i >= header.Count))
                throw new CadreException($"{path}: {role} column {i} does not exist (the file has {header?.Count} columns)");
            return i;
        }
        if (header is null)
            throw new CadreException($"{path}: {role} column '{column.Name}' is chosen by name but the file is read without a header");
        var at = header.ToList().FindIndex(h => string.Equals(h, column.Name, StringComparison.Ordinal));
        if (at < 0)
            at = header.ToList().FindIndex(h => string.Equals(h, column.Name, StringComparison.OrdinalIgnoreCase));
        return at >= 0 ? at
            : throw new CadreException($"{path}: no {role} column '{column.Name}'; the columns are: {string.Join(", ", header)}");
    }

    private static IEnumerable<(int, JsonElement)> JsonlRecords(TableSource s, List<DataProblem> problems)
    {
        foreach (var (line, raw) in Utf8LineReader.Read(s.Path, 8 * DelimitedReader.MaxFieldLength))
        {
            if (string.IsNullOrWhiteSpace(raw))
                continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                problems.Add(new DataProblem(s.Path, line, $"not a JSON object ({e.Message.Split('.')[0]})"));
                continue;
            }
            yield return (line, root);
        }
    }

    /// <summary>Text and label of JSON records: objects (fields by name or position) or arrays (by index).</summary>
    private static IEnumerable<(int, string, JsonElement?)> RecordRows(TableSource s, IEnumerable<(int, JsonElement)> records,
                                                                       List<DataProblem> problems)
    {
        foreach (var (line, root) in records)
        {
            if (root.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                problems.Add(new DataProblem(s.Path, line, "not a JSON object or array"));
                continue;
            }
            string? text = null;
            foreach (var column in s.MoreText.Prepend(s.Text))
            {
                var field = Field(root, column);
                if (field is not { ValueKind: JsonValueKind.String })
                {
                    problems.Add(new DataProblem(s.Path, line, field is null ? Missing(root, column) : $"field '{column}' is not a string"));
                    text = null;
                    break;
                }
                text = text is null ? field.Value.GetString()! : Join(text, [field.Value.GetString()!]);
            }
            if (text is null)
                continue;
            JsonElement? label = null;
            if (s.Label is not null)
            {
                label = Field(root, s.Label);
                if (label is null)
                {
                    problems.Add(new DataProblem(s.Path, line, Missing(root, s.Label)));
                    continue;
                }
            }
            yield return (line, text, label);
        }
    }

    private static string Missing(JsonElement root, ColumnRef column) => root.ValueKind == JsonValueKind.Array
        ? column.Name is not null ? $"the record is an array: choose column '{column}' by index" : $"no item {column}: the record has {root.GetArrayLength()}"
        : $"no field '{column}'; the fields are: {string.Join(", ", root.EnumerateObject().Select(p => p.Name))}";

    /// <summary>Text columns joined with one space; empty ones add nothing.</summary>
    private static string Join(string first, IEnumerable<string> more)
    {
        var parts = more.Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim()).ToList();
        return parts.Count == 0 ? first : string.Join(' ', parts.Prepend(first.Trim()).Where(p => p.Length > 0));
    }

    private static JsonElement? Field(JsonElement root, ColumnRef column)
    {
        if (root.ValueKind == JsonValueKind.Array)
            return column.Index is { } at && at < root.GetArrayLength() ? root[at] : null;
        if (column.Name is { } name)
            return root.TryGetProperty(name, out var v) ? v : null;
        var props = root.EnumerateObject().ToList();
        return column.Index < props.Count ? props[column.Index!.Value].Value : null;
    }
}
