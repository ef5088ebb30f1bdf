using System.Globalization;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Cadre.Data;

/// <summary>
/// Reads rows from a Parquet file for <see cref="DatasetReader"/>, one row group at a time (memory is bounded by a row
/// group). Line is the 1-based row number in the file. The text comes from a string column; the label from a string,
/// integer, float or boolean column, or a list of those (a JSON array, for multilabel). Columns are chosen by name or
/// by 0-based index over the file's columns (its data fields; a list column counts once, under its own name). Nulls
/// come through as empty text or a null label, so the reader's validation reports them with their row.
/// </summary>
public static class ParquetRows
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    private sealed record Column(string Name, DataField Field);

    public static IEnumerable<(int Line, string Text, JsonElement? Label)> Read(TableSource s)
    {
        var reader = Open(s.Path);
        try
        {
            var columns = Columns(reader, s.Path);
            var texts = s.MoreText.Prepend(s.Text).Select(c => Resolve(c, columns, s.Path, "text")).ToList();
            foreach (var text in texts.Where(t => t.Field.ClrType != typeof(ReadOnlyMemory<char>) || t.Field.MaxRepetitionLevel > 0))
                throw new CadreException($"{s.Path}: text column '{text.Name}' holds {Describe(text.Field)}, not strings");
            var label = s.Label is null ? null : Resolve(s.Label, columns, s.Path, "label");
            if (label is not null && (!IsLabelType(label.Field.ClrType) || label.Field.MaxRepetitionLevel > 1))
                throw new CadreException($"{s.Path}: label column '{label.Name}' holds {Describe(label.Field)}; labels are read from "
                                         + "string, integer, float or boolean columns, or lists of them");
            var line = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var (rows, labels) = ReadGroup(reader, g, texts.Select(t => t.Field).ToList(), label?.Field, s.Path);
                for (var i = 0; i < rows.Length; i++)
                    yield return (++line, rows[i] ?? "", labels?[i]);
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static ParquetReader Open(string path)
    {
        using (var f = File.OpenRead(path))
        {
            Span<byte> head = stackalloc byte[4], tail = stackalloc byte[4];
            if (f.Length < 12)
                throw new CadreException($"{path}: not a Parquet file (only {f.Length} bytes)");
            f.ReadExactly(head);
            f.Seek(-4, SeekOrigin.End);
            f.ReadExactly(tail);
            if (!head.SequenceEqual(Magic) || !tail.SequenceEqual(Magic))
                throw new CadreException($"{path}: not a Parquet file (no PAR1 marker at {(head.SequenceEqual(Magic) ? "the end: truncated?" : "the start")})");
        }
        try
        {
            return ParquetReader.CreateAsync(path).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CadreException($"{path}: not a Parquet file (its footer cannot be read: {e.Message})", e);
        }
    }

    /// <summary>The file's data fields, each named by its path; a list's element goes by the list's name.</summary>
    private static List<Column> Columns(ParquetReader reader, string path)
    {
        ParquetSchema schema;
        try
        {
            schema = reader.Schema;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CadreException($"{path}: unsupported Parquet schema ({e.Message})", e);
        }
        var listNames = new Dictionary<DataField, string>(ReferenceEqualityComparer.Instance);
        foreach (var list in schema.Fields.OfType<ListField>())
        {
            if (list.Item is DataField item)
                listNames[item] = list.Name;
        }
        return schema.GetDataFields()
            .Select(f => new Column(listNames.TryGetValue(f, out var n) ? n : string.Join(".", f.Path.ToList()), f)).ToList();
    }

    private static Column Resolve(ColumnRef column, List<Column> columns, string path, string role)
    {
        var names = string.Join(", ", columns.Select(c => c.Name));
        if (column.Index is { } i)
            return i >= 0 && i < columns.Count ? columns[i]
                : throw new CadreException($"{path}: {role} column {i} does not exist; the file has {columns.Count} columns: {names}");
        return columns.FirstOrDefault(c => string.Equals(c.Name, column.Name, StringComparison.Ordinal))
               ?? columns.FirstOrDefault(c => string.Equals(c.Name, column.Name, StringComparison.OrdinalIgnoreCase))
               ?? throw new CadreException($"{path}: no {role} column '{column.Name}'; the columns are: {names}");
    }

    private static bool IsLabelType(Type t) =>
        t == typeof(ReadOnlyMemory<char>) || Type.GetTypeCode(t) is >= TypeCode.Boolean and <= TypeCode.Decimal and not TypeCode.Char;

    private static string Describe(DataField f)
    {
        var t = f.ClrType == typeof(ReadOnlyMemory<char>) ? "string" : f.ClrType == typeof(ReadOnlyMemory<byte>) ? "binary" : f.ClrType.Name;
        return f.MaxRepetitionLevel > 0 ? $"lists of {t}" : t;
    }

    /// <summary>One row group's texts (the text columns joined with a space; null where the first is null) and labels.</summary>
    private static (string?[] Texts, JsonElement?[]? Labels) ReadGroup(ParquetReader reader, int group, IReadOnlyList<DataField> textFields,
                                                                      DataField? label, string path)
    {
        try
        {
            var g = reader.OpenRowGroupReader(group);
            var rows = checked((int)g.RowCount);
            var texts = new string?[rows];
            for (var f = 0; f < textFields.Count; f++)
            {
                var t = ReadRaw<ReadOnlyMemory<char>>(g, textFields[f], rows, group, path);
                for (int i = 0, v = 0; i < rows; i++)
                {
                    var value = t.IsDefined(i) ? new string(t.Values[v++].Span) : null;
                    if (textFields.Count > 1) value = value?.Trim();
                    if (f == 0) texts[i] = value;
                    else if (texts[i] is not null && !string.IsNullOrEmpty(value))
                        texts[i] = texts[i]!.Length == 0 ? value : texts[i] + " " + value;
                }
            }
            return (texts, label is null ? null : ReadLabels(g, label, rows, group, path));
        }
        catch (Exception e) when (e is not CadreException and not OutOfMemoryException)
        {
            throw new CadreException($"{path}: row group {group + 1} of {reader.RowGroupCount} cannot be read ({e.Message})", e);
        }
    }

    private static JsonElement?[] ReadLabels(ParquetRowGroupReader g, DataField f, int rows, int group, string path)
    {
        if (f.ClrType == typeof(ReadOnlyMemory<char>))
            return Labels<ReadOnlyMemory<char>>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(new string(v.Span)));
        return Type.GetTypeCode(f.ClrType) switch
        {
            TypeCode.Boolean => Labels<bool>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.SByte => Labels<sbyte>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.Byte => Labels<byte>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.Int16 => Labels<short>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.UInt16 => Labels<ushort>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.Int32 => Labels<int>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.UInt32 => Labels<uint>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.Int64 => Labels<long>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.UInt64 => Labels<ulong>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            TypeCode.Single => Labels<float>(g, f, rows, group, path, v => float.IsFinite(v) ? JsonSerializer.SerializeToElement(v) : NonFinite(v)),
            TypeCode.Double => Labels<double>(g, f, rows, group, path, v => double.IsFinite(v) ? JsonSerializer.SerializeToElement(v) : NonFinite(v)),
            TypeCode.Decimal => Labels<decimal>(g, f, rows, group, path, v => JsonSerializer.SerializeToElement(v)),
            _ => throw new CadreException($"{path}: label column '{f.Path}' holds {Describe(f)}"),
        };
    }

    // JSON has no NaN or infinity: they travel as text, which the reader's validation rejects as a target.
    private static JsonElement NonFinite(double v) => JsonSerializer.SerializeToElement(v.ToString(CultureInfo.InvariantCulture));

    /// <summary>One label per row: the value (null where the row has none), or for a list column an array of its values.</summary>
    private static JsonElement?[] Labels<T>(ParquetRowGroupReader g, DataField f, int rows, int group, string path, Func<T, JsonElement> json)
        where T : struct
    {
        var raw = ReadRaw<T>(g, f, rows, group, path);
        var labels = new JsonElement?[rows];
        var v = 0;
        if (raw.Repetition is null)
        {
            for (var i = 0; i < rows; i++)
                labels[i] = raw.IsDefined(i) ? json(raw.Values[v++]) : null;
            return labels;
        }
        // A new row starts at repetition level 0; entries below the full definition level are empty or null lists
        // (or null items) and add nothing.
        var row = -1;
        var items = new List<JsonElement>();
        for (var i = 0; i < raw.Count; i++)
        {
            if (raw.Repetition[i] == 0)
            {
                if (row >= 0)
                    labels[row] = JsonSerializer.SerializeToElement(items);
                if (++row >= rows)
                    throw Corrupt(path, group, f);
                items.Clear();
            }
            else if (row < 0)
                throw Corrupt(path, group, f);
            if (raw.IsDefined(i))
                items.Add(json(raw.Values[v++]));
        }
        if (row >= 0)
            labels[row] = JsonSerializer.SerializeToElement(items);
        if (row + 1 != rows)
            throw Corrupt(path, group, f);
        return labels;
    }

    private static CadreException Corrupt(string path, int group, DataField f) =>
        new($"{path}: row group {group + 1}: column '{f.Path}' does not hold one entry per row (a corrupt file?)");

    /// <summary>A column chunk as stored: the defined values packed, and the definition and repetition levels.</summary>
    private sealed record RawColumn<T>(T[] Values, int[]? Definition, int[]? Repetition, int Count, int MaxDefinition)
    {
        public bool IsDefined(int i) => Definition is null || Definition[i] == MaxDefinition;
    }

    private static RawColumn<T> ReadRaw<T>(ParquetRowGroupReader g, DataField f, int rows, int group, string path) where T : struct
    {
        var meta = g.GetMetadata(f)?.MetaData ?? throw new CadreException($"{path}: row group {group + 1}: column '{f.Path}' is missing");
        var n = checked((int)meta.NumValues);
        // Checked before allocating, so that a corrupt count does not become a huge buffer.
        if (f.MaxRepetitionLevel == 0 ? n != rows : n < rows)
            throw Corrupt(path, group, f);
        var values = new T[n];
        var definition = f.MaxDefinitionLevel > 0 ? new int[n] : null;
        var repetition = f.MaxRepetitionLevel > 0 ? new int[n] : null;
        // ?. keeps an absent buffer null: a null int[] would otherwise convert to an empty Memory<int>.
        g.ReadRawAsync<T>(f, values, definition?.AsMemory(), repetition?.AsMemory())
            .AsTask().GetAwaiter().GetResult();
        return new RawColumn<T>(values, definition, repetition, n, f.MaxDefinitionLevel);
    }
}
