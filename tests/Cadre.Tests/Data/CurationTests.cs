using System.Text.Json;
using Cadre.Data;
using Cadre.Data.Quality;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Data;

/// <summary>Curation without a model: byte-exact copies, label rewriting per format, the keep-one rule, undo.</summary>
public sealed class CurationTests
{
    private static QualityReport Report(Dataset train, IReadOnlyList<LabelIssueFinding>? issues = null) =>
        new(train, [], DataCheck.Run(train), issues ?? [], [], [], [], []);

    [Fact]
    public void QuotedCsvRowsAreRelabelledInPlaceAndUndoRestoresEveryByte()
    {
        using var dir = new TempDir();
        var path = dir.File("data.csv");
        var original = "\uFEFFid,text,label,note\r\n1,\"hello, world\",pos,\"a \"\"quoted\"\" note\"\r\n2,\"two\nlines\",neg,x\r\n\r\n3,plain,pos,y\r\n4,plain,neg,z";
        File.WriteAllText(path, original);
        var source = new TableSource { Path = path, Text = ColumnRef.Named("text"), Label = ColumnRef.Named("label") };
        var train = DatasetReader.Read(source);
        Assert.Equal([2, 3, 6, 7], train.Examples.Select(e => e.Line));
        // "plain" twice with different labels: a conflicting duplicate; line 3 gets a label issue to relabel.
        var issue = new LabelIssueFinding(1, path, 3, "two\nlines", "neg", "odd, \"label\"", 0.01, 0.9);
        var result = CurationWriter.Write(Report(train, [issue]), source, new CurateOptions { Relabel = true }, dir.File("out"));
        var cleaned = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(result.CleanedFile)); // keeps the BOM
        Assert.Equal("\uFEFFid,text,label,note\r\n1,\"hello, world\",pos,\"a \"\"quoted\"\" note\"\r\n2,\"two\nlines\",\"odd, \"\"label\"\"\",x\r\n\r\n3,plain,pos,y\r\n", cleaned);
        var reread = DatasetReader.Read(source with { Path = result.CleanedFile });
        Assert.Equal("odd, \"label\"", reread.Examples[1].Label);
        Assert.Equal((1, 1), (result.Removed, result.Relabelled));
        Assert.Equal(File.ReadAllBytes(path), CurationWriter.Undo(dir.File("out")));
    }

    [Fact]
    public void JsonlLabelsKeepTheirJsonType()
    {
        using var dir = new TempDir();
        var path = dir.File("data.jsonl");
        File.WriteAllText(path, "{\"text\": \"a\", \"label\": 1, \"x\": \"é\"}\n{\"text\": \"b\", \"label\": 0}\n");
        var source = new TableSource { Path = path, Text = ColumnRef.Named("text"), Label = ColumnRef.Named("label") };
        var train = DatasetReader.Read(source);
        var issue = new LabelIssueFinding(0, path, 1, "a", "1", "0", 0.1, 0.8);
        var result = CurationWriter.Write(Report(train, [issue]), source, new CurateOptions { Relabel = true }, dir.File("out"));
        Assert.Equal("{\"text\":\"a\",\"label\":0,\"x\":\"é\"}\n{\"text\": \"b\", \"label\": 0}\n", File.ReadAllText(result.CleanedFile));
        Assert.Equal(File.ReadAllBytes(path), CurationWriter.Undo(dir.File("out")));
    }

    [Fact]
    public void DuplicateGroupsKeepOneRowWithTheMajorityLabel()
    {
        using var dir = new TempDir();
        var path = dir.File("d.tsv");
        File.WriteAllLines(path, ["text\tlabel", "Good film\tneg", "good film!\tpos", "GOOD FILM\tpos", "other\tneg"]);
        var source = new TableSource { Path = path, Text = ColumnRef.Named("text"), Label = ColumnRef.Named("label") };
        var train = DatasetReader.Read(source);
        var plan = CurationPlan.Make(Report(train), new CurateOptions());
        Assert.Equal([0, 2], plan.Keys.Order());
        Assert.Contains("conflicting label", plan[0].Reasons[0]);
        Assert.Equal("duplicate of line 3", plan[2].Reasons[0]);
        var audit = CurationWriter.Write(Report(train), source, new CurateOptions(), dir.File("out")).AuditFile;
        var entries = File.ReadAllLines(audit).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["removed", "removed"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal([2, 4], entries.Select(e => e.GetProperty("line").GetInt32()));
        Assert.Equal("Good film", entries[0].GetProperty("text").GetString());
        Assert.Equal("neg", entries[0].GetProperty("given").GetString());
    }

    [Fact]
    public void UnknownKindsAreRefused() =>
        Assert.Contains("near_dupes", Assert.Single(new CurateOptions { Remove = new HashSet<string> { "near_dupes" } }.Validate()));

    [Fact]
    public void OutliersLieBeyondTheUpperFenceAndImbalanceUnderATenthOfUniform()
    {
        var distances = Enumerable.Range(0, 100).Select(i => 0.2 + i * 0.001).Append(0.9).ToList();
        var (outliers, threshold) = QualityRules.Outliers(distances);
        Assert.Equal(100, Assert.Single(outliers).Row);
        Assert.InRange(threshold, 0.3, 0.5);
        Assert.Equal(2.5, QualityRules.Percentile([1, 2, 3, 4], 50));
        var rare = QualityRules.Imbalance([new ClassCount("a", 990, 0.99), new ClassCount("b", 10, 0.01)]);
        Assert.Equal("b", Assert.Single(rare).Label);
        Assert.Empty(QualityRules.Imbalance([new ClassCount("a", 600, 0.6), new ClassCount("b", 400, 0.4)]));
    }
}
