using Cadre.Hub;
using Cadre.Util;

namespace Cadre.Tests.Hub;

/// <summary>
/// <see cref="HubPull"/> against the stand-in Hub: the files a base import needs and no others, in huggingface_hub's
/// cache layout; resumed downloads; damaged downloads refused; a second pull that downloads nothing.
/// </summary>
public sealed class HubPullTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PullsOnlyWhatAnImportReadsIntoHuggingFaceHubsLayout()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var commit = repository.Resolve("main")!;

        var snapshot = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);

        Assert.Equal(commit, snapshot.Commit);
        Assert.Equal(HubTestHome.TinyBertFiles, snapshot.Files.Order(StringComparer.Ordinal));
        Assert.Equal(HubTestHome.TinyBertFiles.Length, snapshot.Downloaded);
        var folder = home.RepoFolder();
        Assert.Equal(Path.Combine(folder, "snapshots", commit), snapshot.Folder);
        Assert.Equal(commit, File.ReadAllText(Path.Combine(folder, "refs", "main"))); // no newline, as huggingface_hub writes it
        foreach (var path in snapshot.Files)
        {
            var file = repository.Files(commit)[path];
            var pointer = Path.Combine(snapshot.Folder, path);
            // A relative link to blobs/ETAG: the SHA-256 for LFS files, the git blob id for the others.
            var depth = path.Count(c => c == '/');
            Assert.Equal(string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + file.Etag, new FileInfo(pointer).LinkTarget);
            Assert.Equal(file.Content, File.ReadAllBytes(pointer));
        }
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(folder, "blobs"), "*.incomplete"));
        Assert.True(File.Exists(Path.Combine(home.Cache, "CACHEDIR.TAG")));

        // Pickles and other formats are never asked for, not even with a HEAD.
        Assert.DoesNotContain(home.Hub.Requests, r => r.Path.EndsWith(".bin", StringComparison.Ordinal) || r.Path.Contains("onnx", StringComparison.Ordinal)
                                                      || r.Path.EndsWith(".h5", StringComparison.Ordinal) || r.Path.EndsWith("README.md", StringComparison.Ordinal));
        // The LFS file came from the CDN, the others from the commit-pinned address the Hub redirects to, the tree in pages.
        Assert.Contains(home.Hub.Requests, r => r.Cdn && r.Method == "GET");
        Assert.Contains(home.Hub.Requests, r => r.Method == "GET" && r.Path.StartsWith($"/api/resolve-cache/models/{HubTestHome.TinyBert}/{commit}/", StringComparison.Ordinal));
        Assert.Contains(home.Hub.Requests, r => r.Path.Contains("/tree/", StringComparison.Ordinal) && r.Method == "GET");
        Assert.True(home.Hub.Requests.Count(r => r.Path.Contains("/tree/", StringComparison.Ordinal)) > 1, "the tree was not paged");
    }

    [Fact]
    public async Task TheTokenGoesToTheHubButNotToTheCdn()
    {
        await using var home = await HubTestHome.StartAsync();
        home.Hub.Tokens.Add("hf_private");
        home.AddTinyBert(isPrivate: true);

        var snapshot = HubPull.Pull(home.Settings("hf_private"), HubTestHome.TinyBert, null, null, Cancel);

        Assert.Equal(HubTestHome.TinyBertFiles.Length, snapshot.Files.Count);
        Assert.All(home.Hub.Requests.Where(r => !r.Cdn), r => Assert.True(r.Authorized, $"{r.Method} {r.Path} went without the token"));
        Assert.All(home.Hub.Requests.Where(r => r.Cdn), r => Assert.False(r.Authorized, $"the token went to the CDN: {r.Path}"));
        Assert.Contains(home.Hub.Requests, r => r.Cdn);
    }

    [Fact]
    public async Task ASecondPullDownloadsNothingAndAsksNoFile()
    {
        await using var home = await HubTestHome.StartAsync();
        home.AddTinyBert();
        HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);
        home.Hub.Requests.Clear();

        var again = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, "main", null, Cancel);

        Assert.Equal(0, again.Downloaded);
        Assert.Equal(0, again.DownloadedBytes);
        Assert.DoesNotContain(home.Hub.Requests, HubStandIn.IsFileRequest);
    }

    [Fact]
    public async Task ADroppedConnectionResumesWithARangeRequest()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        home.Hub.CutAfter("model.safetensors", 40_000);

        var snapshot = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);

        var weights = repository.Files(snapshot.Commit)["model.safetensors"];
        Assert.Equal(weights.Content, File.ReadAllBytes(Path.Combine(snapshot.Folder, "model.safetensors")));
        var gets = home.Hub.ContentRequests().Where(r => r.Cdn).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Equal("bytes=40000-", gets[1].Range);
        Assert.Equal(snapshot.DownloadedBytes, repository.Files(snapshot.Commit).Values.Where(f => HubTestHome.TinyBertFiles.Contains(f.Path)).Sum(f => (long)f.Content.Length));
    }

    [Fact]
    public async Task AnInterruptedPullResumesWhereItStoppedOnTheNextRun()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var weights = repository.Files(repository.Resolve("main")!)["model.safetensors"];
        home.Hub.CutAfter("model.safetensors", 40_000);

        var e = Assert.Throws<CadreException>(() => HubPull.Pull(home.Settings(retries: 0), HubTestHome.TinyBert, null, null, Cancel));
        Assert.Contains("stopped after 40,000 of 100,600 bytes", e.Message);
        Assert.Contains("run the same command again to resume", e.Message);
        var incomplete = Path.Combine(home.RepoFolder(), "blobs", weights.Sha256 + ".incomplete");
        Assert.Equal(40_000, new FileInfo(incomplete).Length);
        Assert.False(File.Exists(Path.Combine(home.RepoFolder(), "refs", "main")), "a failed pull recorded the revision");
        home.Hub.Requests.Clear();

        var progress = new Reports();
        var snapshot = HubPull.Pull(home.Settings(retries: 0), HubTestHome.TinyBert, null, progress, Cancel);

        Assert.Equal(weights.Content, File.ReadAllBytes(Path.Combine(snapshot.Folder, "model.safetensors")));
        Assert.Equal(["bytes=40000-"], home.Hub.ContentRequests().Where(r => r.Cdn).Select(r => r.Range));
        Assert.Equal(60_600, snapshot.DownloadedBytes);
        Assert.False(File.Exists(incomplete));
        // The progress counts the kept part as done from the start and ends at the whole file.
        Assert.Equal((40_000L, 100_600L), (progress.All[0].Done, progress.All[0].Total));
        Assert.Equal((100_600L, 100_600L), (progress.All[^1].Done, progress.All[^1].Total));
        Assert.All(progress.All, p => Assert.Equal(("download", "model.safetensors", "bytes"), (p.Stage, p.Detail, p.Unit)));
    }

    private sealed class Reports : IProgress<ProgressUpdate>
    {
        public List<ProgressUpdate> All { get; } = [];
        public void Report(ProgressUpdate value) => All.Add(value);
    }

    [Theory]
    [InlineData("model.safetensors", "sha256")]
    [InlineData("vocab.txt", "git blob id")]
    public async Task ADamagedDownloadIsRefusedAndNotKept(string path, string hash)
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var file = repository.Files(repository.Resolve("main")!)[path];
        home.Hub.Damaged[path] = true;

        var e = Assert.Throws<CadreException>(() => HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel));

        Assert.Contains($"{path} as downloaded has {hash}", e.Message);
        Assert.Contains("not kept in the cache", e.Message);
        Assert.False(File.Exists(Path.Combine(home.RepoFolder(), "blobs", file.Etag)));
        Assert.False(File.Exists(Path.Combine(home.RepoFolder(), "blobs", file.Etag + ".incomplete")));
        Assert.False(File.Exists(Path.Combine(home.RepoFolder(), "snapshots", repository.Resolve("main")!, path)));

        home.Hub.Damaged.Clear(); // the next pull, with the Hub healthy again, gets the true file
        var snapshot = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);
        Assert.Equal(file.Content, File.ReadAllBytes(Path.Combine(snapshot.Folder, path)));
    }

    [Fact]
    public async Task ABranchACommitAndAPullRequestRefArePulledAtTheirCommits()
    {
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var first = repository.Resolve("main")!;
        var config = File.ReadAllText(Path.Combine(Infrastructure.TinyTask.TinyBert, "config.json"));
        var dev = repository.CommitFolder(Infrastructure.TinyTask.TinyBert, "dev",
            new Dictionary<string, byte[]> { ["config.json"] = System.Text.Encoding.UTF8.GetBytes(config.Replace("\"bert\"", "\"bert\" ", StringComparison.Ordinal)) });
        var pr = repository.CommitFolder(Infrastructure.TinyTask.TinyBert, "refs/pr/1");

        var onDev = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, "dev", null, Cancel);
        var atFirst = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, first, null, Cancel);
        var onPr = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, "refs/pr/1", null, Cancel);

        Assert.Equal(dev, onDev.Commit);
        Assert.Equal(first, atFirst.Commit);
        Assert.Equal(pr, onPr.Commit);
        Assert.NotEqual(File.ReadAllText(Path.Combine(onDev.Folder, "config.json")), File.ReadAllText(Path.Combine(atFirst.Folder, "config.json")));
        var refs = Path.Combine(home.RepoFolder(), "refs");
        Assert.Equal(dev, File.ReadAllText(Path.Combine(refs, "dev")));
        Assert.Equal(pr, File.ReadAllText(Path.Combine(refs, "refs", "pr", "1")));
        Assert.False(File.Exists(Path.Combine(refs, "main")), "a pull by commit wrote a ref");
        // The unchanged weights were downloaded once: the other commits link the same blob.
        Assert.Equal(1, home.Hub.ContentRequests().Count(r => r.Cdn));
        Assert.Equal((6, 1, 0), (onDev.Downloaded, atFirst.Downloaded, onPr.Downloaded));
    }
}
