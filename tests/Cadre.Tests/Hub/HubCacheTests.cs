using System.Net;
using System.Net.Sockets;
using Cadre.Hub;

namespace Cadre.Tests.Hub;

/// <summary>
/// The hub cache shared with huggingface_hub: files laid out by Python are used without a download, offline mode
/// reads the cache alone (and says so in one line when it cannot), an unreachable Hub falls back to the cache.
/// </summary>
public sealed class HubCacheTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Lays out a snapshot as huggingface_hub's hf_hub_download does, by hand: blobs by ETag, relative links, refs/main.</summary>
    private static void LayOutAsPython(string cache, StandInRepository repository, string commit, IEnumerable<string> paths, bool links = true, bool writeRef = true)
    {
        var folder = Path.Combine(cache, "models--" + repository.Id.Replace("/", "--", StringComparison.Ordinal));
        Directory.CreateDirectory(Path.Combine(folder, "blobs"));
        foreach (var path in paths)
        {
            var file = repository.Files(commit)[path];
            File.WriteAllBytes(Path.Combine(folder, "blobs", file.Etag), file.Content);
            if (!links)
                continue;
            var pointer = Path.Combine(folder, "snapshots", commit, path);
            Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
            File.CreateSymbolicLink(pointer, Path.GetRelativePath(Path.GetDirectoryName(pointer)!, Path.Combine(folder, "blobs", file.Etag)));
        }
        if (writeRef)
        {
            Directory.CreateDirectory(Path.Combine(folder, "refs"));
            File.WriteAllText(Path.Combine(folder, "refs", "main"), commit);
        }
    }

    [Fact]
    public async Task ASnapshotLaidOutByPythonIsUsedWithoutADownload()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var commit = repository.Resolve("main")!;
        // Python downloaded more of the repository than Cadre needs (the README): that is left alone.
        LayOutAsPython(home.Cache, repository, commit, [.. HubTestHome.TinyBertFiles, "README.md"]);

        var snapshot = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);

        Assert.Equal(0, snapshot.Downloaded);
        Assert.Equal(HubTestHome.TinyBertFiles, snapshot.Files.Order(StringComparer.Ordinal));
        Assert.Empty(home.Hub.ContentRequests());
    }

    [Fact]
    public async Task BlobsInTheCacheAreLinkedIntoANewSnapshotNotDownloadedAgain()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var commit = repository.Resolve("main")!;
        // The blobs are there (say, from an older commit with the same files), this commit's snapshot is not.
        LayOutAsPython(home.Cache, repository, commit, HubTestHome.TinyBertFiles, links: false, writeRef: false);

        var snapshot = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);

        Assert.Equal(0, snapshot.Downloaded);
        Assert.Empty(home.Hub.ContentRequests());
        Assert.Equal(HubTestHome.TinyBertFiles.Length, home.Hub.Requests.Count(r => r.Method == "HEAD" && r.Path.Contains("/resolve/", StringComparison.Ordinal)));
        Assert.All(snapshot.Files, f => Assert.NotNull(new FileInfo(Path.Combine(snapshot.Folder, f)).LinkTarget));
    }

    [Fact]
    public async Task OfflineResolvesTheRevisionThroughRefsAndAsksTheHubNothing()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var online = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);
        home.Hub.Requests.Clear();

        var offline = HubPull.Pull(home.Settings(offline: true), HubTestHome.TinyBert, "main", null, Cancel);
        var byCommit = HubPull.Pull(home.Settings(offline: true), HubTestHome.TinyBert, online.Commit, null, Cancel);

        Assert.Empty(home.Hub.Requests);
        Assert.Equal(online.Commit, offline.Commit);
        Assert.Equal(online.Folder, byCommit.Folder);
        Assert.Equal("HF_HUB_OFFLINE is set", offline.CacheOnly);
        Assert.Equal(HubTestHome.TinyBertFiles, offline.Files.Order(StringComparer.Ordinal));
        Assert.Equal(repository.Resolve("main"), offline.Commit);
    }

    [Fact]
    public async Task OfflineWithoutTheRevisionInTheCacheFailsInOneLine()
    {
        await using var home = await HubTestHome.StartAsync();
        home.AddTinyBert();
        HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);

        var never = Assert.Throws<CadreException>(() => HubPull.Pull(home.Settings(offline: true), "cadre-tests/other", null, null, Cancel));
        var branch = Assert.Throws<CadreException>(() => HubPull.Pull(home.Settings(offline: true), HubTestHome.TinyBert, "dev", null, Cancel));

        Assert.Equal($"cadre-tests/other (revision main) is not in the Hugging Face cache ({home.RepoFolder("cadre-tests/other")}), and HF_HUB_OFFLINE is set, "
                     + "so nothing is downloaded: pull it once with network access, or unset HF_HUB_OFFLINE", never.Message);
        Assert.StartsWith($"{HubTestHome.TinyBert} (revision dev) is not in the Hugging Face cache", branch.Message);
        Assert.DoesNotContain('\n', never.Message + branch.Message);
    }

    [Fact]
    public async Task OfflineWithAPartialSnapshotNamesWhatIsMissing()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        LayOutAsPython(home.Cache, repository, repository.Resolve("main")!, ["config.json", "modules.json", "vocab.txt"]);

        var e = Assert.Throws<CadreException>(() => HubPull.Pull(home.Settings(offline: true), HubTestHome.TinyBert, null, null, Cancel));

        Assert.Contains("no model.safetensors", e.Message);
        Assert.Contains("in the Hugging Face cache at", e.Message);
    }

    [Fact]
    public async Task AnUnreachableHubFallsBackToTheCache()
    {
        await using var home = await HubTestHome.StartAsync();
        home.AddTinyBert();
        var online = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);
        var closed = home.Settings() with { Endpoint = $"http://127.0.0.1:{ClosedPort()}" };

        var cached = HubPull.Pull(closed, HubTestHome.TinyBert, null, null, Cancel);
        var e = Assert.Throws<CadreException>(() => HubPull.Pull(closed, "cadre-tests/never-pulled", null, null, Cancel));

        Assert.Equal(online.Commit, cached.Commit);
        Assert.Equal("the Hub is unreachable (connection refused)", cached.CacheOnly);
        Assert.StartsWith($"cannot reach the Hugging Face Hub at {closed.Endpoint} (connection refused)", e.Message);
        Assert.Contains("HF_HUB_OFFLINE=1", e.Message);
    }

    [Fact]
    public void SettingsComeFromTheVariablesHuggingFaceHubReads()
    {
        var tokenFile = Path.Combine(Path.GetTempPath(), $"cadre-hf-token-{Guid.NewGuid():N}");
        File.WriteAllText(tokenFile, "hf_fromfile\n");
        try
        {
            HubSettings With(params (string Key, string Value)[] variables) =>
                HubSettings.FromEnvironment(n => n == "HF_TOKEN_PATH" && !variables.Any(v => v.Key == n) ? "/nonexistent/token"
                    : variables.FirstOrDefault(v => v.Key == n).Value);
            var plain = With(("HOME", "/home/u"));
            Assert.Equal(("https://huggingface.co", "/home/u/.cache/huggingface/hub", false, (string?)null), (plain.Endpoint, plain.Cache, plain.Offline, plain.Token));
            Assert.Equal("/x/huggingface/hub", With(("HOME", "/home/u"), ("XDG_CACHE_HOME", "/x")).Cache);
            Assert.Equal("/h/hub", With(("HOME", "/home/u"), ("HF_HOME", "/h")).Cache);
            Assert.Equal("/home/u/c", With(("HOME", "/home/u"), ("HF_HOME", "/h"), ("HF_HUB_CACHE", "~/c")).Cache);
            Assert.Equal("/old", With(("HOME", "/home/u"), ("HUGGINGFACE_HUB_CACHE", "/old")).Cache);
            Assert.Equal("http://mirror:8080", With(("HF_ENDPOINT", "http://mirror:8080/")).Endpoint);
            Assert.Equal("hf_env", With(("HF_TOKEN", "hf_env"), ("HF_TOKEN_PATH", tokenFile)).Token);
            Assert.Equal("hf_fromfile", With(("HF_TOKEN_PATH", tokenFile)).Token);
            Assert.True(With(("HF_HUB_OFFLINE", "1")).Offline);
            Assert.True(With(("HF_HUB_OFFLINE", "yes")).Offline);
            Assert.True(With(("TRANSFORMERS_OFFLINE", "TRUE")).Offline);
            Assert.False(With(("HF_HUB_OFFLINE", "0")).Offline);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // free again once the listener stops
    }
}
