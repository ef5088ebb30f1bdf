using Cadre.Store;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

public sealed class BaseCatalogTests
{
    private static BaseRecord Record(string name) => new()
    {
        Name = name, Architecture = "bert", Source = "test", ContentHash = new string('a', 64), DType = "F32",
    };

    [Fact]
    public void CommittedBaseIsListedAndReadBack()
    {
        using var home = new TempDir();
        var catalog = new BaseCatalog(home.Path);
        var staging = catalog.CreateStaging();
        File.WriteAllText(Path.Combine(staging, "model.safetensors"), "x");
        catalog.Commit(staging, Record("tiny"), replace: false);
        Assert.Equal("tiny", Assert.Single(catalog.List()).Name);
        Assert.Equal("bert", catalog.Get("tiny").Architecture);
        Assert.True(File.Exists(Path.Combine(catalog.FolderOf("tiny"), "model.safetensors")));
    }

    [Fact]
    public void ExistingBaseIsNotReplacedWithoutForce()
    {
        using var home = new TempDir();
        var catalog = new BaseCatalog(home.Path);
        catalog.Commit(catalog.CreateStaging(), Record("tiny"), replace: false);
        var e = Assert.Throws<CadreException>(() => catalog.Commit(catalog.CreateStaging(), Record("tiny"), replace: false));
        Assert.Contains("already exists", e.Message);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("Upper")]
    [InlineData("")]
    [InlineData("a/b")]
    public void BadNamesAreRejected(string name) =>
        Assert.Throws<CadreException>(() => BaseCatalog.ValidateName(name));

    [Fact]
    public void UnknownBaseNamesTheKnownOnes()
    {
        using var home = new TempDir();
        var catalog = new BaseCatalog(home.Path);
        catalog.Commit(catalog.CreateStaging(), Record("alpha"), replace: false);
        var e = Assert.Throws<CadreException>(() => catalog.Get("beta"));
        Assert.Contains("unknown base 'beta'", e.Message);
        Assert.Contains("alpha", e.Message);
    }

    [Fact]
    public void UnknownFormatVersionIsRefused()
    {
        using var home = new TempDir();
        var catalog = new BaseCatalog(home.Path);
        catalog.Commit(catalog.CreateStaging(), Record("tiny"), replace: false);
        var file = Path.Combine(catalog.FolderOf("tiny"), BaseRecord.FileName);
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"format_version\": 1", "\"format_version\": 99"));
        var e = Assert.Throws<CadreException>(() => catalog.Get("tiny"));
        Assert.Contains("format_version 99", e.Message);
    }
}
