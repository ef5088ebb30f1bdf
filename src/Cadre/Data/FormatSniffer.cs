namespace Cadre.Data;

/// <summary>Infers a file's format from its extension and, for plain text, its delimiter from the first lines.</summary>
public static class FormatSniffer
{
    private static readonly char[] Candidates = ['\t', ';', '|', ','];

    public static DataFormat Guess(string path, bool labelled)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".jsonl" or ".ndjson" or ".json-lines" => DataFormat.Jsonl,
            ".json" => DataFormat.Json,
            ".csv" or ".tsv" or ".psv" => DataFormat.Delimited,
            ".parquet" => DataFormat.Parquet,
            _ when !labelled => DataFormat.Lines,
            _ => Delimiter(path) is not null ? DataFormat.Delimited
                : throw new CadreException($"{path}: cannot tell the format; set format: (csv, tsv, jsonl, lines, parquet) and delimiter:"),
        };
    }

    /// <summary>The delimiter by extension, else the first candidate that splits the first 20 lines into equal, >1 fields.</summary>
    public static char? Delimiter(string path)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".csv": return ',';
            case ".tsv": return '\t';
            case ".psv": return '|';
        }
        var lines = new List<string>();
        using (var reader = new StreamReader(path))
        {
            var buffer = new char[1 << 16];
            var read = reader.ReadBlock(buffer, 0, buffer.Length); // bounded: never reads a whole huge line
            lines.AddRange(new string(buffer, 0, read).Split('\n').Take(21).SkipLast(read == buffer.Length ? 1 : 0)
                .Where(l => l.Length > 0).Take(20));
        }
        if (lines.Count == 0)
            return null;
        foreach (var c in Candidates)
        {
            var counts = lines.Select(l => l.Count(x => x == c)).ToList();
            if (counts[0] > 0 && counts.All(n => n == counts[0]))
                return c;
        }
        return null;
    }
}
