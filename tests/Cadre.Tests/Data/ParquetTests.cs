using Cadre.Data;
using Cadre.Tests.Infrastructure;
using Cadre.Specs;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Cadre.Tests.Data;

public sealed class ParquetTests
{
    public sealed class TextLabel
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public sealed class TextInt
    {
        public string Text { get; set; } = "";
        public int Stars { get; set; }
    }

    public sealed class TextTags
    {
        public string Text { get; set; } = "";
        public List<string> Tags { get; set; } = [];
    }

    public sealed class TextScore
    {
        public string Text { get; set; } = "";
        public double Score { get; set; }
    }

    public sealed class TitleBody
    {
        public string Title { get; set; } = "";
        public string? Body { get; set; }
        public string Label { get; set; } = "";
    }

    [Fact]
    public async Task SeveralTextColumnsJoinWithASpace()
    {
        using var dir = new TempDir();
        var path = await Write(dir, "joined.parquet", new TitleBody[]
        {
            new() { Title = "Oil up ", Body = " Prices rose.", Label = "biz" },
            new() { Title = "Chip news", Body = null, Label = "tech" },
        });
        var data = DatasetReader.Read(new TableSource
        {
            Path = path, Text = ColumnRef.Named("Title"), MoreText = [ColumnRef.Named("Body")], Label = ColumnRef.Named("Label"),
        });
        Assert.Equal(["Oil up Prices rose.", "Chip news"], data.Examples.Select(e => e.Text));
    }

    private static async Task<string> Write<T>(TempDir dir, string name, IEnumerable<T> rows, int? rowGroupSize = null)
    {
        var path = dir.File(name);
        await ParquetSerializer.SerializeAsync(rows, path, new ParquetOptions { RowGroupSize = rowGroupSize },
                                               cancellationToken: TestContext.Current.CancellationToken);
        return path;
    }

    private static Dataset Read(string path, string text = "text", string? label = "label", TaskKind task = TaskKind.Classification,
                                bool skip = false) =>
        DatasetReader.Read(new TableSource
        {
            Path = path, Text = ColumnRef.Parse(text), Label = label is null ? null : ColumnRef.Parse(label), Task = task,
        }, skip);

    private static readonly TextLabel[] Reviews =
    [
        new() { Text = "great film", Label = "pos" },
        new() { Text = "dull plot", Label = "neg" },
        new() { Text = "loved it", Label = "pos" },
        new() { Text = "fell asleep", Label = "neg" },
        new() { Text = "a classic", Label = "pos" },
    ];

    [Fact]
    public async Task StringTextAndLabelAcrossRowGroupsWithRowNumbers()
    {
        using var dir = new TempDir();
        // Five rows in row groups of two: the row number runs on across groups.
        var data = Read(await Write(dir, "a.parquet", Reviews, rowGroupSize: 2), "Text", "Label");
        Assert.Equal(Reviews.Select(r => r.Text), data.Examples.Select(e => e.Text));
        Assert.Equal(Reviews.Select(r => r.Label), data.Examples.Select(e => e.Label));
        Assert.Equal([1, 2, 3, 4, 5], data.Examples.Select(e => e.Line));
        Assert.Equal(["neg", "pos"], data.Labels);
        Assert.Equal(DataFormat.Parquet, FormatSniffer.Guess("x.parquet", labelled: true));
    }

    [Fact]
    public async Task ColumnNamesMatchCaseInsensitivelyAndByIndex()
    {
        using var dir = new TempDir();
        var path = await Write(dir, "b.parquet", Reviews);
        Assert.Equal(5, Read(path, "text", "label").Count);
        var byIndex = Read(path, "0", "1");
        Assert.Equal("dull plot", byIndex.Examples[1].Text);
        Assert.Equal("neg", byIndex.Examples[1].Label);
        // Unlabelled (prediction input) reads the text alone.
        Assert.Null(Read(path, "1", null).Examples[0].Label);
    }

    [Fact]
    public async Task IntegerLabelsBecomeLabelText()
    {
        using var dir = new TempDir();
        var data = Read(await Write(dir, "c.parquet", new TextInt[] { new() { Text = "meh", Stars = 2 }, new() { Text = "wow", Stars = 5 } }),
                        "Text", "Stars");
        Assert.Equal(["2", "5"], data.Examples.Select(e => e.Label));
        Assert.Equal(["2", "5"], data.Labels);
    }

    [Fact]
    public async Task ListOfStringsIsMultilabelIncludingAnEmptyList()
    {
        using var dir = new TempDir();
        var rows = new TextTags[]
        {
            new() { Text = "goal scored in the budget debate", Tags = ["sport", "politics"] },
            new() { Text = "nothing to see", Tags = [] },
            new() { Text = "election night", Tags = ["politics"] },
        };
        var data = Read(await Write(dir, "d.parquet", rows, rowGroupSize: 2), "Text", "Tags", TaskKind.Multilabel);
        Assert.Equal(3, data.Count);
        Assert.Equal(["sport", "politics"], data.Examples[0].Labels);
        Assert.Empty(data.Examples[1].Labels!);
        Assert.Equal(["politics"], data.Examples[2].Labels);
        Assert.Equal([1, 2, 3], data.Examples.Select(e => e.Line));
        Assert.Equal(["politics", "sport"], data.Labels);
    }

    [Fact]
    public async Task DoubleColumnIsARegressionTarget()
    {
        using var dir = new TempDir();
        var rows = new TextScore[] { new() { Text = "fine", Score = 3.25 }, new() { Text = "bad", Score = -1e-3 }, new() { Text = "odd", Score = double.NaN } };
        var data = Read(await Write(dir, "e.parquet", rows), "Text", "Score", TaskKind.Regression, skip: true);
        Assert.Equal([3.25, -1e-3], data.Examples.Select(e => e.Target!.Value));
        var skipped = Assert.Single(data.Skipped);
        Assert.Equal(3, skipped.Line);
        Assert.Contains("is not a number", skipped.Message);
    }

    [Fact]
    public async Task NullTextAndLabelAreReportedWithTheirRow()
    {
        using var dir = new TempDir();
        var path = dir.File("f.parquet");
        var schema = new ParquetSchema(new DataField<string>("text", true), new DataField<string>("label", true));
        var rows = new List<IDictionary<string, object?>>
        {
            new Dictionary<string, object?> { ["text"] = "ok", ["label"] = "a" },
            new Dictionary<string, object?> { ["text"] = null, ["label"] = "b" },
            new Dictionary<string, object?> { ["text"] = "no label", ["label"] = null },
        };
        await using (var f = File.Create(path))
            await ParquetSerializer.SerializeUntypedAsync(rows, schema, f, cancellationToken: TestContext.Current.CancellationToken);
        var e = Assert.Throws<CadreException>(() => Read(path));
        Assert.Contains(path + ":2: empty text", e.Message);
        Assert.Contains(path + ":3: empty label", e.Message);
        var data = Read(path, skip: true);
        Assert.Equal("ok", Assert.Single(data.Examples).Text);
        Assert.Equal([2, 3], data.Skipped.Select(p => p.Line));
    }

    [Fact]
    public async Task MissingColumnsNameTheFileAndListTheColumns()
    {
        using var dir = new TempDir();
        var path = await Write(dir, "g.parquet", Reviews);
        var e = Assert.Throws<CadreException>(() => Read(path, "Text", "sentiment"));
        Assert.Contains(path, e.Message);
        Assert.Contains("no label column 'sentiment'; the columns are: Text, Label", e.Message);
        e = Assert.Throws<CadreException>(() => Read(path, "2", null));
        Assert.Contains("text column 2 does not exist; the file has 2 columns: Text, Label", e.Message);
    }

    [Fact]
    public async Task TextColumnMustHoldStrings()
    {
        using var dir = new TempDir();
        var path = await Write(dir, "h.parquet", new TextInt[] { new() { Text = "a", Stars = 1 } });
        var e = Assert.Throws<CadreException>(() => Read(path, "Stars", "Text"));
        Assert.Contains("text column 'Stars' holds Int32, not strings", e.Message);
    }

    [Fact]
    public async Task GarbageEmptyAndTruncatedFilesAreNotParquet()
    {
        using var dir = new TempDir();
        var garbage = dir.File("x.parquet");
        File.WriteAllText(garbage, "text,label\nthis is a csv file in disguise,pos\n");
        var e = Assert.Throws<CadreException>(() => Read(garbage));
        Assert.Contains(garbage + ": not a Parquet file", e.Message);

        var empty = dir.File("empty.parquet");
        File.WriteAllBytes(empty, []);
        Assert.Contains("not a Parquet file", Assert.Throws<CadreException>(() => Read(empty)).Message);

        var whole = File.ReadAllBytes(await Write(dir, "whole.parquet", Reviews));
        var truncated = dir.File("truncated.parquet");
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);
        Assert.Contains("not a Parquet file", Assert.Throws<CadreException>(() => Read(truncated)).Message);

        // Both markers intact but the footer garbled: still a clear error, not an unhandled one.
        var garbled = (byte[])whole.Clone();
        for (var i = garbled.Length - 40; i < garbled.Length - 8; i++)
            garbled[i] = 0xFF;
        var corrupt = dir.File("corrupt.parquet");
        File.WriteAllBytes(corrupt, garbled);
        Assert.StartsWith(corrupt + ": ", Assert.Throws<CadreException>(() => Read(corrupt, "Text", "Label")).Message);
    }

    [Fact]
    public async Task SpecWithParquetFormatLoadsAndReads()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("data"));
        // No .parquet extension: the spec's format decides.
        await Write(dir, Path.Combine("data", "train.bin"), Reviews);
        File.WriteAllText(dir.File("cadre.yaml"),
            "specialists:\n  - name: reviews\n    data:\n      train: data/train.bin\n      format: parquet\n      text: Text\n      label: Label\n");
        var s = Assert.Single(SpecFile.Load(dir.File("cadre.yaml")).Specialists);
        Assert.Equal(DataFormat.Parquet, s.Data.Format);
        var data = DatasetReader.Read(SpecFile.Source(s, s.Data.Train));
        Assert.Equal(5, data.Count);

        File.WriteAllText(dir.File("bad.yaml"),
            "specialists:\n  - name: reviews\n    data:\n      train: data/train.bin\n      format: arrow\n      text: Text\n      label: Label\n");
        var e = Assert.Throws<CadreException>(() => SpecFile.Load(dir.File("bad.yaml")));
        Assert.Contains("is not one of csv, tsv, jsonl, json, parquet, lines", e.Message);
    }
}
