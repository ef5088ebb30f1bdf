using System.Text.Json;
using Cadre.Store;
using Cadre.Store.Bundles;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

/// <summary>
/// The store formats of version 1 as tools/reference/store/make_golden.py writes them from docs/formats.md alone
/// (numpy, not Cadre): every codec decodes to the expected bytes, the history resolves, the store verifies, and the
/// golden bundle applies into an empty store. These fixtures are never edited.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StoreGoldenTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "store");

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static void AssertVersions(CadreStore store, string first = "first")
    {
        foreach (var (rev, folder) in new[] { (first, "v1"), ("2", "v2"), ("main", "v2") })
        {
            var checkout = store.FolderOf(store.Resolve("golden", rev));
            foreach (var expected in Directory.GetFiles(Path.Combine(Fixture, "expected", folder)))
                Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(Path.Combine(checkout, Path.GetFileName(expected))));
        }
    }

    [Fact]
    public void EveryCodecOfVersionOneDecodesToTheExpectedBytes()
    {
        using var home = new TempDir();
        CopyFolder(Path.Combine(Fixture, "home"), home.Path);
        var store = new CadreStore(home.Path);
        using var ids = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixture, "ids.json")));
        foreach (var entry in ids.RootElement.GetProperty("codecs").EnumerateObject())
        {
            var header = store.Objects.ReadHeader(entry.Name);
            Assert.Equal(entry.Value.GetString(), JsonNamingPolicy.SnakeCaseLower.ConvertName(header.Codec.ToString()));
            Assert.Null(store.Objects.Check(entry.Name));
        }
        var report = store.Verify();
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Equal((2, 1), (report.Versions, report.Bases));
        Assert.Equal(ids.RootElement.GetProperty("v2").GetString(), store.Head("golden")!.Id);
        Assert.Equal(["second", "first"], store.Log(store.Head("golden")!).Select(v => v.Record.Message));
        AssertVersions(store);
        var diff = ManifestDiff.Compare(store.Objects, store.ReadManifest(store.Resolve("golden", "1")), store.ReadManifest(store.Resolve("golden", "2")));
        Assert.Equal(["unchanged", "changed", "changed", "changed"], diff.Tensors.Select(t => t.Status)); // e, s, w, x by name
    }

    [Fact]
    public void TheGoldenBundleAppliesIntoAnEmptyStore()
    {
        using var home = new TempDir();
        var store = new CadreStore(home.Path);
        var result = BundleApplier.Apply(store, Path.Combine(Fixture, "golden.bundle"));
        Assert.Equal((2, true), (result.NewVersions, result.BaseAdded));
        Assert.True(store.Verify().Ok, string.Join("\n", store.Verify().Problems));
        AssertVersions(store, first: "1"); // a version 1 bundle carries versions and a branch, no tags
        Assert.Empty(store.Tags("golden"));
        foreach (var expected in Directory.GetFiles(Path.Combine(Fixture, "expected", "base")))
            Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(Path.Combine(home.Path, "bases", "goldbase", Path.GetFileName(expected))));
    }

    [Fact]
    public void TheGoldenBundleOfVersionTwoBringsItsTags()
    {
        using var home = new TempDir();
        var store = new CadreStore(home.Path);
        var result = BundleApplier.Apply(store, Path.Combine(Fixture, "golden-v2.bundle"));
        Assert.Equal((2, true), (result.NewVersions, result.BaseAdded));
        Assert.Equal(["first"], result.TagsAdded);
        Assert.True(store.Verify().Ok, string.Join("\n", store.Verify().Problems));
        AssertVersions(store); // "first" resolves: the tag travelled
    }

    [Fact]
    public void AChangedJsonFileListsItsChangedKeys()
    {
        using var home = new TempDir();
        CopyFolder(Path.Combine(Fixture, "home"), home.Path);
        var store = new CadreStore(home.Path);
        var diff = ManifestDiff.Compare(store.Objects, store.ReadManifest(store.Resolve("golden", "1")), store.ReadManifest(store.Resolve("golden", "2")));
        var notes = Assert.Single(diff.Files, f => f.Path == "notes.json");
        Assert.Equal("changed", notes.Status);
        Assert.Equal([new KeyChange("version", "changed", "1", "2")], notes.Keys!);
    }
}
