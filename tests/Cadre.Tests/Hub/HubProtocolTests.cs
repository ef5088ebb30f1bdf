using System.Diagnostics;
using System.Text.Json;
using Cadre.Hub;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Hub;

/// <summary>
/// The stand-in speaks the Hub's protocol, checked once by the official clients: the @huggingface/hub npm package
/// (tools/hub-check, installed by .ci/run) lists, downloads and snapshot-downloads from it; Python's huggingface_hub,
/// where installed, does a snapshot_download. What either client writes into a hub cache is then read by Cadre
/// offline, and Cadre's own pull lays out the same blobs, links and refs.
/// </summary>
public sealed class HubProtocolTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheOfficialJavaScriptClientReadsTheStandInAndItsCacheIsCadres()
    {
        var check = Path.Combine(SharedData.RepositoryRoot, "tools", "hub-check");
        if (!File.Exists(Path.Combine(check, "node_modules", "@huggingface", "hub", "package.json")))
            Assert.Skip($"needs the @huggingface/hub npm package: run npm install in {check} (.ci/run does)");
        await using var home = await HubTestHome.StartAsync();
        var repository = home.AddTinyBert();
        var commit = repository.Resolve("main")!;
        using var theirs = new TempDir();

        var output = Run("node", check, false, [Path.Combine(check, "check.mjs"), home.Hub.Endpoint, HubTestHome.TinyBert, theirs.Path])!;

        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var root = json.RootElement;
        var listed = root.GetProperty("files").EnumerateArray().Where(f => f.GetProperty("type").GetString() == "file")
            .ToDictionary(f => f.GetProperty("path").GetString()!, f => (f.GetProperty("size").GetInt64(), f.GetProperty("oid").GetString(), f.GetProperty("lfs").GetString()));
        var files = repository.Files(commit);
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));
        Assert.All(files.Values, f => Assert.Equal(((long)f.Content.Length, f.Oid, f.Lfs ? f.Sha256 : null), listed[f.Path]));
        Assert.Contains(root.GetProperty("files").EnumerateArray(), f => f.GetProperty("type").GetString() == "directory" && f.GetProperty("path").GetString() == "1_Pooling");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(files["config.json"].Content), root.GetProperty("config").GetString());
        Assert.Equal(files["model.safetensors"].Sha256, root.GetProperty("weightsSha256").GetString());
        Assert.Equal(Path.Combine(theirs.Path, "models--cadre-tests--tiny-bert", "snapshots", commit), root.GetProperty("snapshot").GetString());

        SameCacheAsCadre(home, theirs.Path, commit);
    }

    [Fact]
    public async Task PythonsHuggingFaceHubReadsTheStandInAndItsCacheIsCadres()
    {
        if (Run("python3", null, true, ["-c", "import huggingface_hub"]) is null)
            Assert.Skip("needs Python's huggingface_hub (pip install huggingface_hub), which this machine lacks");
        await using var home = await HubTestHome.StartAsync();
        var commit = home.AddTinyBert().Resolve("main")!;
        using var theirs = new TempDir();

        var folder = Run("python3", null, false, ["-c",
            "import sys, huggingface_hub as h; print(h.snapshot_download(sys.argv[1], cache_dir=sys.argv[2], endpoint=sys.argv[3]))",
            HubTestHome.TinyBert, theirs.Path, home.Hub.Endpoint])!.Trim();

        Assert.Equal(Path.Combine(theirs.Path, "models--cadre-tests--tiny-bert", "snapshots", commit), folder);
        SameCacheAsCadre(home, theirs.Path, commit);
        // And the other way round: Python finds Cadre's downloads in its own cache lookup.
        var found = Run("python3", null, false, ["-c",
            "import sys, huggingface_hub as h; print(h.try_to_load_from_cache(sys.argv[1], 'model.safetensors', cache_dir=sys.argv[2]))",
            HubTestHome.TinyBert, home.Cache])!.Trim();
        Assert.Equal(Path.Combine(home.RepoFolder(), "snapshots", commit, "model.safetensors"), found);
    }

    /// <summary>Cadre reads the other client's cache offline, and its own pull writes the same names, links and refs.</summary>
    private static void SameCacheAsCadre(HubTestHome home, string theirs, string commit)
    {
        var offline = HubPull.Pull(new HubSettings { Cache = theirs, Offline = true }, HubTestHome.TinyBert, null, null, Cancel);
        Assert.Equal(commit, offline.Commit);
        Assert.Equal(HubTestHome.TinyBertFiles, offline.Files.Order(StringComparer.Ordinal));

        var ours = HubPull.Pull(home.Settings(), HubTestHome.TinyBert, null, null, Cancel);
        var theirFolder = Path.Combine(theirs, "models--cadre-tests--tiny-bert");
        Assert.Equal(File.ReadAllText(Path.Combine(theirFolder, "refs", "main")), File.ReadAllText(Path.Combine(home.RepoFolder(), "refs", "main")));
        foreach (var path in ours.Files)
            Assert.Equal(new FileInfo(Path.Combine(theirFolder, "snapshots", commit, path)).LinkTarget, new FileInfo(Path.Combine(ours.Folder, path)).LinkTarget);
    }

    /// <summary>Runs a program; its stdout, or (with <paramref name="allowFailure"/>) null when it is absent or fails.</summary>
    private static string? Run(string program, string? directory, bool allowFailure, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null)
            info.WorkingDirectory = directory;
        foreach (var a in args)
            info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception) when (allowFailure)
        {
            return null;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} did not finish in 2 minutes");
            }
            if (process.ExitCode == 0)
                return stdout.Result;
            return allowFailure ? null : throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {stderr.Result}");
        }
    }
}
