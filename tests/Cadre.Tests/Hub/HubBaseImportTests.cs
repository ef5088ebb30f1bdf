using Cadre.Hub;
using Cadre.Models.Import;
using Cadre.Tests.Infrastructure;
using Cadre.Tests.Models.Llama;

namespace Cadre.Tests.Hub;

/// <summary><c>cadre base pull</c>'s library half end to end: from the stand-in Hub to a base in CADRE_HOME.</summary>
[Collection(TorchCollection.Name)]
public sealed class HubBaseImportTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APulledBaseIsTheBaseTheFolderImportsAs()
    {
        await using var home = await HubTestHome.StartAsync();
        var commit = home.AddTinyBert().Resolve("main")!;

        var (snapshot, pulled) = HubBaseImport.Run(home.Catalog, home.Settings(), HubTestHome.TinyBert, null, null, replace: false, null, Cancel);
        var local = BaseImporter.ImportPath(home.Catalog, TinyTask.TinyBert, "local", replace: false);

        Assert.Equal("tiny-bert", pulled.Name);
        Assert.Equal("bert", pulled.Architecture);
        Assert.Equal($"hf:{HubTestHome.TinyBert}@{commit}", pulled.Source);
        Assert.Equal(local.ContentHash, pulled.ContentHash);
        Assert.Equal(local.ParameterCount, pulled.ParameterCount);
        Assert.Equal(local.Details, pulled.Details);
        Assert.Equal(commit, snapshot.Commit);
        // Only what the import reads is in the base; the staging folder of links is gone.
        var stored = Directory.EnumerateFiles(home.Catalog.FolderOf("tiny-bert"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(home.Catalog.FolderOf("tiny-bert"), f)).Where(f => f != "base.json").Order(StringComparer.Ordinal);
        Assert.Equal(HubTestHome.TinyBertFiles, stored);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(home.Home, "tmp")));
    }

    [Fact]
    public async Task AShardedLlamaPullsTheIndexAndItsShardsOnly()
    {
        await using var home = await HubTestHome.StartAsync();
        using var folder = new TempDir();
        new TinyLlamaCheckpoint(seed: 4, tied: false).WriteHuggingFace(folder.Path, shards: 2);
        var repository = home.Hub.Add("cadre-tests/TinyLlama-2shards");
        // A stale shard and a second copy of the weights in Meta's layout, as some repositories carry: not pulled.
        repository.CommitFolder(folder.Path, extra: new Dictionary<string, byte[]>
        {
            ["model-00003-of-00003.safetensors"] = File.ReadAllBytes(Path.Combine(folder.Path, "model-00001-of-00002.safetensors")),
            ["consolidated.safetensors"] = File.ReadAllBytes(Path.Combine(folder.Path, "model-00002-of-00002.safetensors")),
        });

        var (snapshot, record) = HubBaseImport.Run(home.Catalog, home.Settings(), "cadre-tests/TinyLlama-2shards", "main", null, replace: false, null, Cancel);
        var local = BaseImporter.ImportPath(home.Catalog, folder.Path, "local", replace: false);

        Assert.Equal("tinyllama-2shards", record.Name);
        Assert.Equal("llama", record.Architecture);
        Assert.Equal(local.ContentHash, record.ContentHash);
        Assert.Equal(["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"],
                     snapshot.Files.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(home.Hub.Requests, r => r.Path.Contains("00003", StringComparison.Ordinal) || r.Path.Contains("consolidated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATakenNameIsRefusedBeforeAnythingIsDownloaded()
    {
        await using var home = await HubTestHome.StartAsync();
        home.AddTinyBert();
        BaseImporter.ImportPath(home.Catalog, TinyTask.TinyBert, "tiny-bert", replace: false);

        var taken = Assert.Throws<CadreException>(() => HubBaseImport.Run(home.Catalog, home.Settings(), HubTestHome.TinyBert, null, null, false, null, Cancel));
        var invalid = Assert.Throws<CadreException>(() => HubBaseImport.Run(home.Catalog, home.Settings(), HubTestHome.TinyBert, null, "Not Valid", false, null, Cancel));

        Assert.Equal("base 'tiny-bert' already exists (use --force to replace it, or --name to give another)", taken.Message);
        Assert.StartsWith("invalid base name 'Not Valid'", invalid.Message);
        Assert.Empty(home.Hub.Requests);
        var (_, replaced) = HubBaseImport.Run(home.Catalog, home.Settings(), HubTestHome.TinyBert, null, null, replace: true, null, Cancel);
        Assert.StartsWith("hf:", replaced.Source);
    }
}
