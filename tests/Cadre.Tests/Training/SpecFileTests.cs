using Cadre.Data;
using Cadre.Tests.Infrastructure;
using Cadre.Specs;

namespace Cadre.Tests.Training;

public sealed class SpecFileTests
{
    private const string Example = """
        specialists:
          - name: mr
            base: use-lite
            task: classification          # classification | multilabel | regression
            data:
              train: data/train.tsv
              validation: data/dev.tsv     # optional; otherwise validation_split of train, seeded
              test: data/test.tsv          # optional
              text: text                   # column name or index
              label: label
            adapter:
              method: lora                 # head | lora | ia3 | prompt | full
              r: 8
              alpha: 16
              dropout: 0.1
              targets: [attention, ffn]
            training:
              epochs: 5
              learning_rate: 1e-3
              batch_size: 32
              max_length: 128
              seed: 1
              early_stopping: 2            # patience in epochs on the validation metric
              metric: accuracy             # or macro_f1
        """;

    private static string Write(TempDir dir, string yaml)
    {
        Directory.CreateDirectory(dir.File("data"));
        foreach (var f in new[] { "train.tsv", "dev.tsv", "test.tsv" })
            File.WriteAllText(Path.Combine(dir.File("data"), f), "text\tlabel\nhello\tpos\n");
        File.WriteAllText(dir.File("cadre.yaml"), yaml);
        return dir.File("cadre.yaml");
    }

    [Fact]
    public void TheDocumentedExampleLoadsWithItsValuesAndResolvedPaths()
    {
        using var dir = new TempDir();
        var spec = SpecFile.Load(Write(dir, Example));
        var s = Assert.Single(spec.Specialists);
        Assert.Equal("mr", s.Name);
        Assert.Equal(TaskKind.Classification, s.Task);
        Assert.Equal(Path.Combine(dir.Path, "data", "train.tsv"), s.Data.Train);
        Assert.Equal(Path.Combine(dir.Path, "data", "dev.tsv"), s.Data.Validation);
        Assert.Equal(ColumnRef.Named("text"), s.Data.Text);
        Assert.Equal("lora", s.Adapter.Method);
        Assert.Equal(8, s.Adapter.R);
        Assert.Equal(16, s.Adapter.Alpha);
        Assert.Equal(["attention", "ffn"], s.Adapter.Targets);
        Assert.Equal(1e-3, s.Training.LearningRate);
        Assert.Equal(2, s.Training.EarlyStopping);
        Assert.Equal("accuracy", s.Training.Metric);
    }

    [Fact]
    public void DefaultsFillWhatIsLeftOut()
    {
        using var dir = new TempDir();
        var s = SpecFile.Load(Write(dir, "specialists:\n  - name: tiny\n    data:\n      train: data/train.tsv\n      text: 0\n      label: 1\n")).Specialists[0];
        Assert.Equal("use-lite", s.Base);
        Assert.Equal(ColumnRef.At(0), s.Data.Text);
        Assert.Null(s.Data.Validation);
        Assert.Equal(0.1, s.Data.ValidationSplit);
        Assert.Equal(("lora", 8, 16.0, 0.0), (s.Adapter.Method, s.Adapter.R, s.Adapter.Alpha, s.Adapter.Dropout));
        Assert.Equal(["attention", "ffn"], s.Adapter.Targets);
        Assert.Equal(5, s.Training.Epochs);
    }

    [Fact]
    public void EveryErrorIsReportedAtOnceWithPathAndLine()
    {
        using var dir = new TempDir();
        var yaml = """
            specialists:
              - name: Bad Name
                task: ranking
                data:
                  train: data/missing.tsv
                adapter:
                  method: lora
                  r: 0
                  dropout: 1.5
                training:
                  epochs: five
                  learning_rat: 0.01
              - name: ok
                data:
                  train: data/train.tsv
                  delimiter: ";;"
            """;
        var e = Assert.Throws<CadreException>(() => SpecFile.Load(Write(dir, yaml)));
        Assert.Contains("cadre.yaml: ", e.Message);
        Assert.Contains("specialists[0].training.epochs: expected an integer, got 'five' (line 11)", e.Message);
        Assert.Contains("specialists[0].training.learning_rat: unknown key (line 12); did you mean 'learning_rate'?", e.Message);
        Assert.Contains("specialists[0].task: 'ranking' is not one of", e.Message);
        Assert.Contains("specialists[0].name: 'Bad Name' must be", e.Message);
        Assert.Contains("specialists[0].data.train: file not found", e.Message);
        Assert.Contains("specialists[0].adapter.r: must be > 0", e.Message);
        Assert.Contains("specialists[0].adapter.dropout: must be in [0, 1)", e.Message);
        Assert.Contains("specialists[1].data.delimiter: must be one character", e.Message);
    }

    [Theory]
    [InlineData("", "specialists: required")]
    [InlineData("specialists: [", "not valid YAML")]
    [InlineData("specialists:\n  - name: a\n    data:\n      train: data/train.tsv\n  - name: a\n    data:\n      train: data/train.tsv\n", "'a' is used twice")]
    [InlineData("specialist:\n  - name: a\n", "spec.specialist: unknown key (line 1); did you mean 'specialists'?")]
    public void MalformedSpecsAreRefusedClearly(string yaml, string expected)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => SpecFile.Load(Write(dir, yaml)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void SpecSourcesLoadTheirData()
    {
        using var dir = new TempDir();
        var spec = SpecFile.Load(Write(dir, Example));
        var data = DatasetReader.Read(SpecFile.Source(spec.Specialists[0], spec.Specialists[0].Data.Train));
        Assert.Equal("hello", Assert.Single(data.Examples).Text);
    }

    [Fact]
    public void FilesCanHaveTheirOwnColumnsAndJoinedTextColumns()
    {
        using var dir = new TempDir();
        var path = Write(dir, """
            specialists:
              - name: news
                data:
                  train: data/train.tsv
                  test: {path: data/news.csv, header: false, text: [1, 2], label: 0}
            """);
        File.WriteAllText(dir.File("data/news.csv"), "\"3\",\"Oil up\",\" Prices rose.\"\n\"4\",\"Chip news\",\"\"\n");
        var s = SpecFile.Load(path).Specialists[0];
        var train = DatasetReader.Read(SpecFile.Source(s, s.Data.Train));
        Assert.Equal(("hello", "pos"), (train.Examples[0].Text, train.Examples[0].Label));
        var test = DatasetReader.Read(SpecFile.Source(s, s.Data.Test!));
        Assert.Equal(["Oil up Prices rose.", "Chip news"], test.Examples.Select(e => e.Text));
        Assert.Equal(["3", "4"], test.Examples.Select(e => e.Label));
    }

    [Fact]
    public void PerFileSettingsAreCheckedLikeTheShared()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => SpecFile.Load(Write(dir, """
            specialists:
              - name: news
                data:
                  train: data/train.tsv
                  test: {header: nope, txt: 1}
            """)));
        Assert.Contains("specialists[0].data.test.path: required", e.Message);
        Assert.Contains("specialists[0].data.test.header: expected true or false", e.Message);
        Assert.Contains("specialists[0].data.test.txt: unknown key", e.Message);
    }

    [Fact]
    public void AgNewsTrainAndTestShapesLoadThroughOneSpec()
    {
        var train = SharedData.Require("data/ag_news/train_subset_5000.csv");
        var testFile = SharedData.Require("data/ag_news/test.csv");
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cadre.yaml"), $$"""
            specialists:
              - name: ag
                data:
                  train: {{train}}
                  test: {path: {{testFile}}, header: false, text: [1, 2], label: 0}
            """);
        var s = SpecFile.Load(dir.File("cadre.yaml")).Specialists[0];
        var tr = DatasetReader.Read(SpecFile.Source(s, s.Data.Train));
        var te = DatasetReader.Read(SpecFile.Source(s, s.Data.Test!));
        Assert.Equal((5000, 7600), (tr.Count, te.Count));
        Assert.Equal(tr.Labels, te.Labels);
        Assert.StartsWith("Fears for T N pension after talks Unions representing", te.Examples[0].Text);
    }
}
