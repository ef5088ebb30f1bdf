using Cadre.Data;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Data;

/// <summary>An unterminated quote in a delimited file swallows the rows after it: said, with the line where it opened.</summary>
public sealed class QuoteWarningTests
{
    private static Dataset Read(TempDir dir, string content)
    {
        var path = dir.File("d.csv");
        File.WriteAllText(path, content);
        return DatasetReader.Read(new TableSource { Path = path, Text = ColumnRef.Named("text"), Label = ColumnRef.Named("label") });
    }

    [Fact]
    public void AQuoteThatClosesMidFieldOnALaterLineWarnsWhereItOpened()
    {
        using var dir = new TempDir();
        var data = Read(dir, "text,label\nfine,ham\n\"forgot to close,spam\n\"second row\",ham\nthird,ham\n");
        Assert.Equal(3, data.Count); // the merged record is kept: a warning, not a failure
        var w = Assert.Single(data.Warnings);
        Assert.Equal(3, w.Line);
        Assert.Contains("closes mid-field on line 4", w.Message);
        Assert.Contains("merged lines 3-4", w.Message);
    }

    [Fact]
    public void AQuoteSpanningSuspiciouslyManyLinesWarnsAndOrdinaryMultiLineFieldsDoNot()
    {
        using var dir = new TempDir();
        var body = string.Join("\n", Enumerable.Range(0, DelimitedReader.SuspiciousLines + 5).Select(i => $"row {i},ham"));
        var data = Read(dir, $"text,label\n\"{body}\",spam\nlast,ham\n");
        Assert.Contains("spans 105 lines", Assert.Single(data.Warnings).Message);

        var ordinary = Read(dir, "text,label\n\"a cell\nover three\nlines\",ham\n\"one, with a comma\",spam\n");
        Assert.Equal(2, ordinary.Count);
        Assert.Empty(ordinary.Warnings);
    }

    [Fact]
    public void AQuoteOpenToTheEndOfTheFileIsAnErrorNamingWhereItOpened()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CadreException>(() => Read(dir, "text,label\nok,a\n\"opens here,b\nmore,c\nand more,d\n"));
        Assert.Contains("d.csv:3: a quoted field is never closed", e.Message);
        Assert.Contains("swallows lines 3-5, to the end of the file", e.Message);
    }
}
