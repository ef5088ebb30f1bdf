using Cadre.Tests.Infrastructure;
using Cadre.Specs;

namespace Cadre.Tests.Training;

public sealed class SpecRewriterTests
{
    [Fact]
    public void CuratedSpecKeepsTheEntryAndPointsTrainAtTheCleanedFile()
    {
        using var dir = new TempDir();
        foreach (var f in new[] { "train.csv", "test.csv", "other.csv", "clean.csv" })
            File.WriteAllText(dir.File(f), "text,label\na,b\n");
        var spec = dir.File("cadre.yaml");
        File.WriteAllText(spec, """
            specialists:
              - name: first
                data: {train: train.csv, test: {path: test.csv, header: false, text: 0, label: 1}}
                adapter: {method: head}
                training: {epochs: 3}
              - name: second
                data: {train: other.csv}
            """);
        var text = SpecRewriter.WithTrain(spec, "first", dir.File("clean.csv"));
        var written = dir.File("curated.yaml");
        File.WriteAllText(written, text);
        var loaded = SpecFile.Load(written);
        var s = Assert.Single(loaded.Specialists);
        Assert.Equal("first", s.Name);
        Assert.Equal(dir.File("clean.csv"), s.Data.Train);
        Assert.Equal(dir.File("test.csv"), s.Data.Test);
        Assert.Equal(3, s.Training.Epochs);
        Assert.Equal("head", s.Adapter.Method);
        Assert.False(s.Data.Files["test"].Header);
    }
}
