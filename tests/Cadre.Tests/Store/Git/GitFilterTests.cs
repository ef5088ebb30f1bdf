using System.Text;
using System.Text.Json;
using Cadre.Store;
using Cadre.Store.Git;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store.Git;

/// <summary>The filter end to end, through the real git: what git stores, checkouts, diffs, listing, gc and prune.</summary>
public sealed class GitFilterTests
{
    private static (string, float[], long[]) W(float[] values) => ("w", values, [20, 100]);
    private static (string, float[], long[]) B(params float[] values) => ("b", values, [values.Length]);

    [Fact]
    public void GitStoresASmallManifestAndOldCommitsCheckOutByteForByte()
    {
        using var h = new GitHarness();
        var w = StoreFixtures.Random(2000, 1);
        var v1 = h.WriteCheckpoint("model.safetensors", W(w), B(1, 2, 3));
        var other = h.WriteCheckpoint("sub/head.safetensors", B(4, 5));
        File.WriteAllText(h.PathOf("notes.safetensors"), "not safetensors at all"); // kept whole, as one blob
        h.Commit("one");
        Assert.Contains("\"blob\":", h.Git("cat-file", "-p", "HEAD:notes.safetensors").Ok().Out);
        w[7] += 0.5f;
        var v2 = h.WriteCheckpoint("model.safetensors", W(w), B(1, 2, 3));
        h.Commit("two");

        var stored = h.Git("cat-file", "-p", "HEAD:model.safetensors").Ok().Out;
        Assert.StartsWith("cadre-git-manifest 1\n", stored);
        Assert.True(Encoding.UTF8.GetByteCount(stored) < 600, stored);
        var manifest = GitManifest.Parse(Encoding.UTF8.GetBytes(stored), "HEAD");
        Assert.Equal(["b", "w"], manifest.Tensors.Select(t => t.Name)); // in data order
        Assert.Equal(v2.Length, manifest.File.Size);
        // The second version's changed tensor is a sparse delta on the first's: the index gave the filter its hint.
        var objects = new CadreStore(h.Home).Objects;
        Assert.Equal(ObjectCodec.Sparse, objects.ReadHeader(manifest.Tensors.Single(t => t.Name == "w").Id).Codec);
        h.Git("add", "--renormalize", ".").Ok(); // cleaning again changes nothing
        Assert.Equal("", h.Git("status", "--porcelain").Ok().Out);

        h.Git("checkout", "HEAD~1", "--", "model.safetensors").Ok();
        Assert.Equal(v1, File.ReadAllBytes(h.PathOf("model.safetensors")));
        h.Git("checkout", "-q", "-f", "main").Ok();
        Assert.Equal(v2, File.ReadAllBytes(h.PathOf("model.safetensors")));
        File.Delete(h.PathOf("model.safetensors"));
        File.Delete(h.PathOf("sub/head.safetensors"));
        File.Delete(h.PathOf("notes.safetensors"));
        h.Git("checkout", "-q", "-f", "HEAD~1").Ok(); // detached, the whole tree of the first commit
        Assert.Equal(v1, File.ReadAllBytes(h.PathOf("model.safetensors")));
        Assert.Equal(other, File.ReadAllBytes(h.PathOf("sub/head.safetensors")));
        Assert.Equal("not safetensors at all", File.ReadAllText(h.PathOf("notes.safetensors")));
    }

    [Fact]
    public void OneFilterProcessServesAWholeAddAndCheckout()
    {
        using var h = new GitHarness();
        var names = new[] { "a.safetensors", "b.safetensors", "c.safetensors", "d/e.safetensors" };
        var first = names.Select((n, i) => h.WriteCheckpoint(n, B(i, 1))).ToList();
        File.Delete(h.Trace);
        h.Git("add", "-A").Ok();
        var add = h.TraceLines();
        h.Git("commit", "-q", "-m", "one").Ok();
        Assert.Single(add, l => l.EndsWith(" start filter-process", StringComparison.Ordinal));
        Assert.Equal(names.Length, add.Count(l => l.Contains(" clean ", StringComparison.Ordinal)));
        Assert.Single(add.Select(l => l.Split(' ')[0]).Distinct());

        for (var i = 0; i < names.Length; i++) h.WriteCheckpoint(names[i], B(i, 2));
        h.Commit("two");
        File.Delete(h.Trace);
        h.Git("checkout", "-q", "HEAD~1").Ok();
        var checkout = h.TraceLines();
        Assert.Single(checkout, l => l.EndsWith(" start filter-process", StringComparison.Ordinal));
        Assert.Equal(names.Length, checkout.Count(l => l.Contains(" smudge ", StringComparison.Ordinal)));
        Assert.Single(checkout.Select(l => l.Split(' ')[0]).Distinct());
        for (var i = 0; i < names.Length; i++) Assert.Equal(first[i], File.ReadAllBytes(h.PathOf(names[i])));
    }

    [Fact]
    public void GitDiffShowsTheChangedTensorsWithTheirStatistics()
    {
        using var h = new GitHarness();
        var w = StoreFixtures.Random(2000, 2);
        h.WriteCheckpoint("model.safetensors", W(w), B(1, 2, 3));
        h.Commit("one");
        w[3] += 3;
        h.WriteCheckpoint("model.safetensors", W(w), B(1, 2, 3));

        // Work tree against the index: git hands the driver the real file on one side.
        var worktree = h.Git("diff").Ok().Out;
        Assert.Contains("changed   tensor model.safetensors:w F32 [20, 100]  l2 3 ", worktree);
        Assert.DoesNotContain(":b ", worktree);
        Assert.Contains("tensors: 1 changed, 1 unchanged", worktree);

        h.Commit("two");
        var committed = h.Git("diff", "HEAD~1", "HEAD").Ok().Out;
        Assert.Contains("changed   tensor model.safetensors:w F32 [20, 100]  l2 3 ", committed);
        Assert.Contains("cosine", committed);
        // git log -p goes through textconv: a line per tensor, so the line diff names the changed tensor.
        var log = h.Git("log", "-p", "-1").Ok().Out;
        Assert.Contains("-w F32 [20, 100] ", log);
        Assert.Contains("+w F32 [20, 100] ", log);
        Assert.DoesNotContain("-b F32", log);
    }

    [Fact]
    public void LsFilesListsTrackedCheckpointsAndWhetherTheStoreHasThem()
    {
        using var h = new GitHarness();
        h.WriteCheckpoint("model.safetensors", W(StoreFixtures.Random(2000, 3)), B(1));
        h.WriteCheckpoint("x/head.safetensors", B(4, 5));
        File.WriteAllText(h.PathOf("README.md"), "not a checkpoint");
        h.Commit("one");
        var listed = h.Cadre("git", "ls-files").Ok().Out;
        Assert.Contains("model.safetensors", listed);
        Assert.Contains("2 checkpoints tracked", listed);
        Assert.DoesNotContain("README", listed);
        var json = JsonDocument.Parse(h.Cadre("git", "ls-files", "--json").Ok().Out).RootElement;
        Assert.Equal(["model.safetensors", "x/head.safetensors"], json.EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        Assert.All(json.EnumerateArray(), e => Assert.Equal("ok", e.GetProperty("status").GetString()));
        Assert.Equal(2, json[0].GetProperty("tensors").GetInt32());

        Directory.Delete(Path.Combine(h.Home, "store", "objects"), recursive: true);
        var missing = h.Cadre("git", "ls-files");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("missing", missing.Out);
        Assert.Contains("cadre pull", missing.Out);
        // A checkout that needs the lost objects fails clearly, naming what is missing and how to get it.
        File.Delete(h.PathOf("model.safetensors"));
        var checkout = h.Git("checkout", "--", "model.safetensors");
        Assert.NotEqual(0, checkout.ExitCode);
        Assert.Contains("missing from the store", checkout.Error);
        Assert.Contains("cadre pull", checkout.Error);
        // Without the objects, a checkout can still write the manifests themselves, and git sees them as unchanged.
        var skip = new Dictionary<string, string> { [GitFilter.SkipSmudgeVariable] = "1" };
        h.GitWith(skip, "checkout", "--", "model.safetensors").Ok();
        Assert.StartsWith("cadre-git-manifest 1\n", File.ReadAllText(h.PathOf("model.safetensors")));
        Assert.Equal("", h.Git("status", "--porcelain").Ok().Out);
    }

    [Fact]
    public void GcKeepsWhatCommitsNeedAndPruneReleasesWhatNoCommitNeeds()
    {
        using var h = new GitHarness();
        var w = StoreFixtures.Random(2000, 4);
        var v1 = h.WriteCheckpoint("model.safetensors", W(w), B(1, 2));
        h.Commit("one");
        h.Git("checkout", "-q", "-b", "experiment").Ok();
        var scrap = StoreFixtures.Random(2000, 5);
        h.WriteCheckpoint("model.safetensors", W(scrap), B(9, 9));
        h.Commit("scrap");
        var scrapManifest = GitManifest.Parse(Encoding.UTF8.GetBytes(h.Git("cat-file", "-p", "HEAD:model.safetensors").Out), "scrap");
        h.Git("checkout", "-q", "main").Ok();

        // The store's own gc knows the repository's roots: nothing any commit needs goes.
        h.Cadre("gc").Ok();
        var objects = new CadreStore(h.Home).Objects;
        Assert.True(scrapManifest.MissingObjects(objects).Count == 0);
        Assert.Contains(": ok", h.Cadre("verify").Ok().Out);

        // Once no branch or reflog reaches the experiment, prune drops its root and gc its tensors.
        h.Git("branch", "-D", "experiment").Ok();
        h.Git("reflog", "expire", "--expire=now", "--all").Ok();
        var kept = h.Cadre("git", "prune").Ok().Out; // within the grace period: kept
        Assert.Contains("dropped 0", kept);
        var pruned = h.Cadre("git", "prune", "--expire", "now").Ok().Out;
        Assert.Contains("dropped 1", pruned);
        h.Cadre("gc").Ok();
        Assert.All(scrapManifest.Tensors, t => Assert.False(objects.Has(t.Id)));
        Assert.Contains(": ok", h.Cadre("verify").Ok().Out);
        File.Delete(h.PathOf("model.safetensors"));
        h.Git("checkout", "--", "model.safetensors").Ok();
        Assert.Equal(v1, File.ReadAllBytes(h.PathOf("model.safetensors")));
    }

    [Fact]
    public void InstallTwiceChangesNothingAndKeepsTheUsersLines()
    {
        using var h = new GitHarness(install: false);
        File.WriteAllText(h.PathOf(".gitattributes"), "*.txt text\n");
        var cli = new CliRunner(h.Home);
        var command = "'/opt/my cadre/cadre'";
        Assert.Contains("cannot tell how git should run cadre", cli.Run("git", "install", "-C", h.Repo).Error); // the test host is not cadre
        Assert.Contains("updated", cli.Run("git", "install", "-C", h.Repo, "--command", command).Out);
        var once = File.ReadAllText(h.PathOf(".gitattributes"));
        Assert.Contains("kept", cli.Run("git", "install", "-C", h.Repo, "--command", command).Out);
        Assert.Equal(once, File.ReadAllText(h.PathOf(".gitattributes")));
        Assert.Equal("*.txt text\n*.safetensors filter=cadre diff=cadre merge=cadre -text\n", once);
        Assert.Equal(command + " git filter-process\n", h.Git("config", "--local", "filter.cadre.process").Ok().Out);
        Assert.Equal(command + " git merge-driver %O %A %B %P\n", h.Git("config", "--local", "merge.cadre.driver").Ok().Out);
        Assert.Equal("true\n", h.Git("config", "--local", "filter.cadre.required").Ok().Out);
        Assert.Matches("^[0-9a-f]{32}\n$", h.Git("config", "--local", "cadre.repository").Ok().Out);
        Assert.Equal(1, cli.Run("git", "install", "-C", h.Repo, "--command", command, "--strategy", "median").ExitCode);

        // A copy of the repository (cp -r copies .git/config) gets its own id, so neither's prune drops the other's roots.
        var copy = h.Scratch("copy");
        CopyTree(h.Repo, copy);
        var original = GitStore.Open(GitRepository.Open(h.Repo), h.Home).RepositoryId;
        var copied = GitStore.Open(GitRepository.Open(copy), h.Home).RepositoryId;
        Assert.NotEqual(original, copied);
        Assert.Equal(original, GitStore.Open(GitRepository.Open(h.Repo), h.Home).RepositoryId);
        Assert.Equal(copied, GitStore.Open(GitRepository.Open(copy), h.Home).RepositoryId);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    [Fact]
    public void OutsideARepositoryTheGitVerbsSaySo()
    {
        using var dir = new TempDir();
        var cli = new CliRunner(Path.Combine(dir.Path, "home"));
        foreach (var verb in new[] { "install", "ls-files", "prune" })
        {
            var r = cli.Run("git", verb, "-C", dir.Path);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("not inside a git repository", r.Error);
        }
    }

    [Fact]
    public void MalformedManifestsInTheRepositoryGiveClearErrors()
    {
        using var h = new GitHarness();
        h.WriteCheckpoint("model.safetensors", B(1, 2));
        h.Commit("one");
        // A hand-edited manifest committed around the filter (hash-object without filters, then the index).
        var bad = h.Scratch("bad");
        File.WriteAllText(bad, "cadre-git-manifest 1\n{\"size\": 10, \"header\": \"nothex\", \"tensors\": []}\n");
        var blob = h.Git("hash-object", "-w", "--no-filters", bad).Ok().Out.Trim();
        h.Git("update-index", "--cacheinfo", $"100644,{blob},model.safetensors").Ok();
        h.Git("commit", "-q", "-m", "broken").Ok();
        File.Delete(h.PathOf("model.safetensors"));
        var checkout = h.Git("checkout", "--", "model.safetensors");
        Assert.NotEqual(0, checkout.ExitCode);
        Assert.Contains("model.safetensors: malformed cadre git manifest (checkpoint: bad object id)", checkout.Error);
        Assert.DoesNotContain("Exception", checkout.Error);
        var listed = h.Cadre("git", "ls-files");
        Assert.Equal(1, listed.ExitCode);
        Assert.Contains("malformed", listed.Out);
        // git smudges a blob before textconv sees it: the log stops there, saying why.
        Assert.Contains("malformed cadre git manifest", h.Git("log", "-p", "-1").Error);

        File.WriteAllText(bad, "cadre-git-manifest 7\n{}\n");
        blob = h.Git("hash-object", "-w", "--no-filters", bad).Ok().Out.Trim();
        h.Git("update-index", "--cacheinfo", $"100644,{blob},model.safetensors").Ok();
        var newer = h.Git("checkout", "--", "model.safetensors");
        Assert.Contains("version 7 is not supported", newer.Error);
    }
}
