using Cadre.Data;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Data;

public sealed class DatasetReaderTests
{
    private static Dataset Read(TempDir dir, string name, string content, string text = "text", string? label = "label",
                                bool skip = false, IReadOnlyList<string>? labels = null, TaskKind task = TaskKind.Classification,
                                bool? header = null, char? delimiter = null)
    {
        var path = dir.File(name);
        File.WriteAllText(path, content);
        return DatasetReader.Read(new TableSource
        {
            Path = path, Text = ColumnRef.Parse(text), Label = label is null ? null : ColumnRef.Parse(label),
            Labels = labels, Task = task, Header = header, Delimiter = delimiter,
        }, skip);
    }

    [Fact]
    public void CsvQuotingDelimitersNewlinesBomAndCrlf()
    {
        using var dir = new TempDir();
        var data = Read(dir, "a.csv", "\uFEFFtext,label\r\n\"hello, \"\"world\"\"\",pos\r\n\"two\nlines\",neg\r\nplain,pos\r\n");
        Assert.Equal(["hello, \"world\"", "two\nlines", "plain"], data.Examples.Select(e => e.Text));
        Assert.Equal([2, 3, 5], data.Examples.Select(e => e.Line));
        Assert.Equal(["neg", "pos"], data.Labels);
    }

    [Fact]
    public void ColumnsByIndexWithoutHeaderAndSniffedDelimiter()
    {
        using var dir = new TempDir();
        var data = Read(dir, "b.txt", "ham\tGo until \"jurong\" point\nspam\tWIN a prize\n", text: "1", label: "0");
        Assert.Equal(2, data.Count);
        Assert.Equal("Go until \"jurong\" point", data.Examples[0].Text);
        Assert.Equal("spam", data.Examples[1].Label);
    }

    [Fact]
    public void SemicolonAndPipeFilesAreSniffed()
    {
        using var dir = new TempDir();
        Assert.Equal(2, Read(dir, "c.txt", "text;label_name\ni feel good;joy\ni feel bad;sadness\n", label: "label_name").Count);
        Assert.Equal(2, Read(dir, "d.txt", "text|label\na|x\nb|y\n").Count);
    }

    [Fact]
    public void JsonlWithNumberBoolAndArrayLabels()
    {
        using var dir = new TempDir();
        var data = Read(dir, "e.jsonl", "{\"text\": \"a\", \"label\": 1}\n\n{\"text\": \"b\", \"label\": true}\n");
        Assert.Equal(["1", "true"], data.Examples.Select(e => e.Label));
        var multi = Read(dir, "f.jsonl", "{\"text\": \"a\", \"label\": [\"x\", \"y\"]}\n", task: TaskKind.Multilabel);
        Assert.Equal(["x", "y"], multi.Examples[0].Labels);
    }

    [Fact]
    public void RegressionTargetsAreNumbers()
    {
        using var dir = new TempDir();
        var data = Read(dir, "g.csv", "text,label\na,0.5\nb,-2e3\n", task: TaskKind.Regression);
        Assert.Equal([0.5, -2000.0], data.Examples.Select(e => e.Target!.Value));
        var e = Assert.Throws<CadreException>(() => Read(dir, "h.csv", "text,label\na,x\n", task: TaskKind.Regression));
        Assert.Contains("h.csv: 1 problem(s)", e.Message);
        Assert.Contains(":2: target 'x' is not a number", e.Message);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnceWithItsLine()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => Read(dir, "i.csv", "text,label\n,pos\nok,maybe\na,b,c\nfine,neg\n", labels: ["pos", "neg"]));
        Assert.Contains("3 problem(s)", e.Message);
        Assert.Contains("i.csv:2: empty text", e.Message);
        Assert.Contains("i.csv:3: label 'maybe' is not in the declared labels", e.Message);
        Assert.Contains("i.csv:4: 3 fields where the file has 2", e.Message);
    }

    [Fact]
    public void SkipInvalidSkipsAndReportsWhatItSkipped()
    {
        using var dir = new TempDir();
        var data = Read(dir, "j.csv", "text,label\n,pos\nok,pos\n\"  \",neg\n", skip: true);
        Assert.Single(data.Examples);
        Assert.Equal([2, 4], data.Skipped.Select(p => p.Line));
    }

    [Fact]
    public void MissingColumnNamesTheColumnsThereAre()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => Read(dir, "k.csv", "sentence,label\na,b\n"));
        Assert.Contains("no text column 'text'; the columns are: sentence, label", e.Message);
    }

    [Fact]
    public void MissingFileAndBadEncodingAreClear()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => DatasetReader.Read(new TableSource { Path = dir.File("none.csv"), Text = ColumnRef.At(0) }));
        Assert.Contains("none.csv: file not found", e.Message);
        File.WriteAllBytes(dir.File("bad.csv"), [.. "text,label\nok,a\n"u8, 0xff, 0xfe, .. ",b\n"u8]);
        e = Assert.Throws<CadreException>(() => DatasetReader.Read(new TableSource { Path = dir.File("bad.csv"), Text = ColumnRef.Named("text"), Label = ColumnRef.Named("label") }));
        Assert.Contains("bad.csv:3: invalid UTF-8", e.Message);
    }

    [Fact]
    public void HugeFieldIsRefusedNotLoaded()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => Read(dir, "l.csv", "text,label\n\"" + new string('x', DelimitedReader.MaxFieldLength + 10) + "\",a\n"));
        Assert.Contains("longer than", e.Message);
    }

    [Fact]
    public void UnclosedQuoteIsAnError()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => Read(dir, "m.csv", "text,label\n\"never closed,a\n"));
        Assert.Contains("m.csv:2: a quoted field is never closed", e.Message);
    }

    [Fact]
    public void OneTextPerLineFilesNeedNoLabel()
    {
        using var dir = new TempDir();
        var data = Read(dir, "n.txt", "first text, with a comma\n\nsecond\n", text: "0", label: null);
        Assert.Equal(["first text, with a comma", "second"], data.Examples.Select(e => e.Text));
        Assert.Equal([1, 3], data.Examples.Select(e => e.Line));
    }
}
