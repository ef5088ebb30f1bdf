using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Data.Quality;

/// <summary>What one curation wrote.</summary>
public sealed record CurationResult(string CleanedFile, string AuditFile, string ManifestFile, int Rows, int Removed, int Relabelled);

/// <summary><c>curation.json</c> (version 1): where the cleaned file came from, so <see cref="CurationWriter.Undo"/> can rebuild it.</summary>
public sealed record CurationManifest
{
    public const int CurrentVersion = 1;
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("source_sha256")] public required string SourceSha256 { get; init; }
    [JsonPropertyName("cleaned")] public required string Cleaned { get; init; }
    [JsonPropertyName("cleaned_sha256")] public required string CleanedSha256 { get; init; }
    /// <summary><c>bytes</c>: kept rows copied verbatim, undo rebuilds the source byte for byte; <c>jsonl</c>: rewritten as text and label.</summary>
    [JsonPropertyName("layout")] public required string Layout { get; init; }
    [JsonPropertyName("rows")] public int Rows { get; init; }
    [JsonPropertyName("removed")] public int Removed { get; init; }
    [JsonPropertyName("relabelled")] public int Relabelled { get; init; }
    [JsonPropertyName("removed_kinds")] public IReadOnlyList<string> RemovedKinds { get; init; } = [];
    [JsonPropertyName("relabel")] public bool Relabel { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// Writes a curated copy of a training file and the audit of every change into a folder; never touches the input.
/// Delimited and JSONL files keep their layout: kept rows are copied byte for byte, a relabelled row has only its
/// label field rewritten, and <see cref="Undo"/> puts the removed and original rows back to reproduce the source
/// exactly (checked against its SHA-256). JSON and Parquet sources become JSONL of text and label.
/// </summary>
public static class CurationWriter
{
    public const string AuditName = "audit.jsonl";
    public const string ManifestName = "curation.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
    private static readonly JsonSerializerOptions Line = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static CurationResult Write(QualityReport report, TableSource source, CurateOptions options, string folder)
    {
        var train = report.Train;
        var decisions = CurationPlan.Make(report, options);
        Directory.CreateDirectory(folder);
        var raw = RawRecords.Supports(source);
        var name = raw ? Path.GetFileName(source.Path) : Path.GetFileNameWithoutExtension(source.Path) + ".jsonl";
        var cleaned = Path.GetFullPath(Path.Combine(folder, name));
        if (string.Equals(cleaned, Path.GetFullPath(source.Path), StringComparison.Ordinal))
            throw new CadreException($"{folder}: the output folder holds the input file; curation never overwrites its input, choose another -o");
        var audit = new List<AuditEntry>();
        using var output = new MemoryStream();
        var records = raw ? RawRecords.Read(source, train) : null;
        var header = raw ? RawRecords.Header(source) : null;
        long copied = 0; // bytes of the source already handled
        for (var i = 0; i < train.Count; i++)
        {
            var e = train.Examples[i];
            if (records is null)
            {
                var label = decisions.TryGetValue(i, out var dj) ? dj.NewLabel ?? e.Label : e.Label;
                var lineText = JsonSerializer.Serialize(new Dictionary<string, string?> { ["text"] = e.Text, ["label"] = label ?? string.Join(",", e.Labels ?? []) }, Line) + "\n";
                if (dj is null || !dj.Remove) output.Write(Encoding.UTF8.GetBytes(lineText));
                if (dj is not null) audit.Add(Entry(dj, e, -1, "", dj.Remove ? "" : lineText));
                continue;
            }
            if (!decisions.TryGetValue(i, out var d)) continue;
            var (offset, length) = records.Spans[i];
            output.Write(records.Bytes, (int)copied, (int)(offset - copied));
            var original = records.Text(i);
            var replacement = d.Remove ? "" : RawRecords.Relabel(original, source, header, d.NewLabel!);
            output.Write(Encoding.UTF8.GetBytes(replacement));
            copied = offset + length;
            audit.Add(Entry(d, e, offset, original, replacement));
        }
        if (records is not null) output.Write(records.Bytes, (int)copied, records.Bytes.Length - (int)copied);
        var bytes = output.ToArray();
        WriteAtomic(cleaned, bytes);
        var auditPath = Path.Combine(folder, AuditName);
        WriteAtomic(auditPath, Encoding.UTF8.GetBytes(string.Concat(audit.Select(a => JsonSerializer.Serialize(a, Line) + "\n"))));
        var manifest = new CurationManifest
        {
            Source = Path.GetFullPath(source.Path), SourceSha256 = Sha(File.ReadAllBytes(source.Path)), Cleaned = name, CleanedSha256 = Sha(bytes),
            Layout = raw ? "bytes" : "jsonl", Rows = train.Count - audit.Count(a => a.Action == "removed"),
            Removed = audit.Count(a => a.Action == "removed"), Relabelled = audit.Count(a => a.Action == "relabelled"),
            RemovedKinds = options.Remove.Order(StringComparer.Ordinal).ToList(), Relabel = options.Relabel,
        };
        var manifestPath = Path.Combine(folder, ManifestName);
        WriteAtomic(manifestPath, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(manifest, Json) + "\n"));
        return new CurationResult(cleaned, auditPath, manifestPath, manifest.Rows, manifest.Removed, manifest.Relabelled);
    }

    /// <summary>
    /// Rebuilds the source from a curation folder: the cleaned file with every audited change reversed. Refuses when
    /// the cleaned file changed since curation, and checks the result against the source's recorded SHA-256.
    /// </summary>
    public static byte[] Undo(string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestName);
        if (!File.Exists(manifestPath))
            throw new CadreException($"{folder}: no {ManifestName}; not a folder written by cadre data curate");
        var manifest = JsonSerializer.Deserialize<CurationManifest>(File.ReadAllText(manifestPath), Json)
                       ?? throw new CadreException($"{manifestPath}: empty");
        if (manifest.FormatVersion != CurationManifest.CurrentVersion)
            throw new CadreException($"{manifestPath}: format_version {manifest.FormatVersion}; this Cadre reads {CurationManifest.CurrentVersion}");
        if (manifest.Layout != "bytes")
            throw new CadreException($"{folder}: the source was {Path.GetFileName(manifest.Source)}, rewritten as JSONL; it was never modified, and {AuditName} lists every change");
        var cleaned = File.ReadAllBytes(Path.Combine(folder, manifest.Cleaned));
        if (Sha(cleaned) != manifest.CleanedSha256)
            throw new CadreException($"{folder}: {manifest.Cleaned} changed after curation (SHA-256 differs); undo needs it as curation wrote it");
        var entries = File.ReadLines(Path.Combine(folder, AuditName)).Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<AuditEntry>(l, Line)!).OrderBy(a => a.Offset).ToList();
        using var output = new MemoryStream();
        long shift = 0; // cleaned offset = source offset + shift
        long at = 0;    // bytes of the cleaned file copied so far
        foreach (var a in entries)
        {
            var original = Encoding.UTF8.GetBytes(a.Original);
            var replacement = Encoding.UTF8.GetBytes(a.Replacement);
            var start = a.Offset + shift;
            if (start < at || start + replacement.Length > cleaned.Length
                || !cleaned.AsSpan((int)start, replacement.Length).SequenceEqual(replacement))
                throw new CadreException($"{folder}: {AuditName} does not match {manifest.Cleaned} at line {a.Line}");
            output.Write(cleaned, (int)at, (int)(start - at));
            output.Write(original);
            at = start + replacement.Length;
            shift += replacement.Length - original.Length;
        }
        output.Write(cleaned, (int)at, cleaned.Length - (int)at);
        var bytes = output.ToArray();
        if (Sha(bytes) != manifest.SourceSha256)
            throw new CadreException($"{folder}: the rebuilt file does not match the source's recorded SHA-256");
        return bytes;
    }

    private static AuditEntry Entry(CurationPlan.Decision d, Example e, long offset, string original, string replacement) =>
        new(d.Remove ? "removed" : "relabelled", e.File, e.Line, e.Text, e.Label ?? string.Join(",", e.Labels ?? []),
            d.Remove ? null : d.NewLabel, string.Join("; ", d.Reasons), d.Score is { } s ? Math.Round(s, 6) : null, offset, original, replacement);

    public static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static void WriteAtomic(string path, byte[] bytes)
    {
        var temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
