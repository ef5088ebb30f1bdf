using System.Globalization;

namespace Cadre.Data;

/// <summary>The file formats Cadre reads labelled text from.</summary>
public enum DataFormat
{
    /// <summary>Delimited text (CSV, TSV, ';' or '|' separated), with or without a header.</summary>
    Delimited,
    /// <summary>One JSON object per line.</summary>
    Jsonl,
    /// <summary>One JSON document: an array of records, or an object whose chosen keys hold arrays of records.</summary>
    Json,
    /// <summary>One text per line, no labels (prediction input).</summary>
    Lines,
    /// <summary>An Apache Parquet file: text from a string column, labels from a scalar or list column.</summary>
    Parquet,
}

/// <summary>What a specialist learns: one label, several labels, or a number.</summary>
public enum TaskKind { Classification, Multilabel, Regression }

/// <summary>A column chosen by its header name or by its 0-based index.</summary>
public sealed record ColumnRef(string? Name, int? Index)
{
    public static ColumnRef Named(string name) => new(name, null);
    public static ColumnRef At(int index) => new(null, index);

    /// <summary>"3" is an index, anything else a name.</summary>
    public static ColumnRef Parse(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? At(i) : Named(text);

    public override string ToString() => Name ?? Index!.Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One labelled example and where it came from (file and 1-based line).</summary>
public sealed record Example(string Text, string? Label, IReadOnlyList<string>? Labels, double? Target, string File, int Line);

/// <summary>A problem with one row (or the whole file when Line is 0).</summary>
public sealed record DataProblem(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>Examples read from one file, the label set (declared order, else sorted), and the rows skipped.</summary>
public sealed record Dataset(string File, TaskKind Task, IReadOnlyList<Example> Examples, IReadOnlyList<string> Labels,
                             IReadOnlyList<DataProblem> Skipped)
{
    public int Count => Examples.Count;

    /// <summary>What reading found suspect but kept (a quote that probably merged records); shown, never fatal.</summary>
    public IReadOnlyList<DataProblem> Warnings { get; init; } = [];
}

/// <summary>
/// Where and how to read one file. Unset properties are inferred: the format and delimiter from the extension (or by
/// sniffing the first lines), the header from whether columns are chosen by name.
/// </summary>
public sealed record TableSource
{
    public required string Path { get; init; }
    public required ColumnRef Text { get; init; }
    /// <summary>Further text columns, joined after <see cref="Text"/> with a space (a title and a body). Default none.</summary>
    public IReadOnlyList<ColumnRef> MoreText { get; init; } = [];
    /// <summary>The label column; null for unlabelled text (prediction input).</summary>
    public ColumnRef? Label { get; init; }
    public TaskKind Task { get; init; } = TaskKind.Classification;
    public DataFormat? Format { get; init; }
    public char? Delimiter { get; init; }
    /// <summary>Default: true when any column is chosen by name, else false.</summary>
    public bool? Header { get; init; }
    /// <summary>A declared label set; labels outside it are problems. Default: whatever the file holds.</summary>
    public IReadOnlyList<string>? Labels { get; init; }
    /// <summary>For multilabel rows in delimited files: the separator inside the label field. Default ','.</summary>
    public char LabelSeparator { get; init; } = ',';
    /// <summary>For JSON files: the top-level keys whose arrays hold the records; default the root array.</summary>
    public IReadOnlyList<string>? Records { get; init; }
}
