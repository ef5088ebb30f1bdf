using Cadre.Data;
using Cadre.Tests.Infrastructure;
using Cadre.Specs;

namespace Cadre.Tests.Data;

/// <summary>Whole-JSON data files: a root array, or arrays under chosen keys (CLINC150's data_full.json).</summary>
public sealed class JsonRecordsTests
{
    private static Dataset Read(string path, string text, string label, IReadOnlyList<string>? records = null) =>
        DatasetReader.Read(new TableSource { Path = path, Text = ColumnRef.Parse(text), Label = ColumnRef.Parse(label), Records = records });

    [Fact]
    public void ARootArrayOfObjectsWithTheLineOfEachRecord()
    {
        using var dir = new TempDir();
        var path = dir.File("a.json");
        File.WriteAllText(path, "[\n  {\"text\": \"good\", \"label\": \"pos\"},\n  {\"text\": \"bad\",\n   \"label\": \"neg\"}\n]\n");
        var data = Read(path, "text", "label");
        Assert.Equal(["good", "bad"], data.Examples.Select(e => e.Text));
        Assert.Equal([2, 3], data.Examples.Select(e => e.Line));
        Assert.Equal(DataFormat.Json, FormatSniffer.Guess(path, labelled: true));
    }

    [Fact]
    public void ArraysUnderChosenKeysWithColumnsByIndex()
    {
        using var dir = new TempDir();
        var path = dir.File("full.json");
        File.WriteAllText(path, """
            {"val": [["v", "a"]],
             "train": [["t1", "a"], ["t2", "b"]],
             "oos_train": [["o1", "oos"]]}
            """);
        var data = Read(path, "0", "1", ["train", "oos_train"]);
        Assert.Equal(["t1", "t2", "o1"], data.Examples.Select(e => e.Text));
        Assert.Equal(["a", "b", "oos"], data.Labels);
        var e = Assert.Throws<CadreException>(() => Read(path, "0", "1", ["test"]));
        Assert.Contains("no top-level array named 'test'", e.Message);
        e = Assert.Throws<CadreException>(() => Read(path, "text", "1", ["train"]));
        Assert.Contains("full.json:2: the record is an array: choose column 'text' by index", e.Message);
    }

    [Theory]
    [InlineData("[{\"text\": \"a\", \"label\": \"x\"},\n {\"text\": }]", "not valid JSON (line 2")]
    [InlineData("{\"train\": []}", "not an array of records")]
    [InlineData("", "empty JSON file")]
    public void MalformedJsonIsAClearError(string content, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.json");
        File.WriteAllText(path, content);
        var e = Assert.Throws<CadreException>(() => Read(path, "text", "label"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ClincDataFullLoadsEachSplitThroughOneSpec()
    {
        var full = SharedData.Require("data/clinc150/data_full.json");
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cadre.yaml"), $$"""
            specialists:
              - name: clinc
                data:
                  train: {path: {{full}}, records: [train, oos_train]}
                  validation: {path: {{full}}, records: [val, oos_val]}
                  test: {path: {{full}}, records: [test, oos_test]}
                  text: 0
                  label: 1
            """);
        var s = SpecFile.Load(dir.File("cadre.yaml")).Specialists[0];
        var counts = new[] { ("train", 15100), ("validation", 3100), ("test", 5500) }.Select(p =>
            DatasetReader.Read(SpecFile.Source(s, full, p.Item1)).Count).ToList();
        Assert.Equal([15100, 3100, 5500], counts);
        Assert.Equal(151, DatasetReader.Read(SpecFile.Source(s, full, "train")).Labels.Count);
    }
}
