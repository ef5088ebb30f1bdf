using System.Text;
using System.Text.RegularExpressions;
using Cadre.Store.Git;
using Cadre.Tensors;

namespace Cadre.Tests.Store.Git;

/// <summary>pkt-line framing, the long-running filter protocol over in-memory pipes, and the git manifest format.</summary>
public sealed partial class GitProtocolTests
{
    [Fact]
    public void PktLinesRoundTripAndSplitLargeContentIntoFullPackets()
    {
        var pipe = new MemoryStream();
        var writer = new PktLineWriter(pipe);
        writer.WriteText("command=clean");
        writer.WriteFlush();
        var content = Enumerable.Range(0, 150_000).Select(i => (byte)(i * 7)).ToArray();
        using (var s = writer.OpenContent()) s.Write(content);
        writer.WriteFlush();

        var bytes = pipe.ToArray();
        Assert.Equal("0012command=clean\n0000", Encoding.ASCII.GetString(bytes, 0, 22));
        Assert.Equal("fff0", Encoding.ASCII.GetString(bytes, 22, 4)); // 65520: a full packet
        pipe.Position = 0;
        var reader = new PktLineReader(pipe);
        Assert.Equal(["command=clean"], reader.ReadTextList());
        var copy = new MemoryStream();
        Assert.Equal(content.Length, reader.CopyContentTo(copy));
        Assert.Equal(content, copy.ToArray());
        Assert.Equal(PacketKind.End, reader.Read());
    }

    [Theory]
    [InlineData("zzzz", "bad packet length")]
    [InlineData("0001", "special packet")]
    [InlineData("ffff" + "x", "more than 65520")]
    [InlineData("0010abc", "ended inside a packet")]
    [InlineData("00", "inside a packet length")]
    public void MalformedPacketsAreClearErrors(string stream, string message)
    {
        var reader = new PktLineReader(new MemoryStream(Encoding.ASCII.GetBytes(stream)));
        Assert.Contains(message, Assert.Throws<CadreException>(() => reader.Read()).Message);
    }

    [Fact]
    public void OneFilterProcessCleansAndSmudgesManyFilesAndFailsOnlyTheBadOne()
    {
        using var h = new GitHarness(install: false);
        var git = GitStore.Open(GitRepository.Open(h.Repo), h.Home);
        var checkpoint = h.Scratch("c.safetensors");
        SafetensorsWriter.WriteRaw(checkpoint, [StoreFixtures.F32("w", StoreFixtures.Random(30_000, 1), 300, 100)]);
        var bytes = File.ReadAllBytes(checkpoint); // 120 kB: several packets each way

        var input = new MemoryStream();
        var w = new PktLineWriter(input);
        void Request(string command, string path, byte[] content)
        {
            w.WriteText($"command={command}");
            w.WriteText($"pathname={path}");
            w.WriteFlush();
            using (var s = w.OpenContent()) s.Write(content);
            w.WriteFlush();
        }
        w.WriteText("git-filter-client");
        w.WriteText("version=2");
        w.WriteFlush();
        w.WriteText("capability=clean");
        w.WriteText("capability=smudge");
        w.WriteText("capability=delay");
        w.WriteFlush();
        Request("clean", "a.safetensors", bytes);
        Request("smudge", "broken.safetensors", Encoding.ASCII.GetBytes("cadre-git-manifest 1\n{not json"));
        Request("clean", "b.safetensors", bytes);
        input.Position = 0;
        var output = new MemoryStream();
        var errors = new StringWriter();
        GitFilterProcess.Serve(() => new GitFilter(git), input, output, errors);

        output.Position = 0;
        var r = new PktLineReader(output);
        Assert.Equal(["git-filter-server", "version=2"], r.ReadTextList());
        Assert.Equal(["capability=clean", "capability=smudge"], r.ReadTextList()); // no delay: answers come in order
        Assert.Equal(["status=success"], r.ReadTextList());
        var manifest = new MemoryStream();
        r.CopyContentTo(manifest);
        Assert.Equal([], r.ReadTextList());
        Assert.StartsWith("cadre-git-manifest 1\n", Encoding.UTF8.GetString(manifest.ToArray()));
        Assert.Equal(["status=error"], r.ReadTextList());
        Assert.Contains("cadre: broken.safetensors: malformed cadre git manifest", errors.ToString());
        Assert.Equal(["status=success"], r.ReadTextList());
        var again = new MemoryStream();
        r.CopyContentTo(again);
        Assert.Equal(manifest.ToArray(), again.ToArray()); // same bytes, same manifest
        Assert.Equal([], r.ReadTextList());
        Assert.Equal(PacketKind.End, r.Read());

        // The manifest smudges back to the exact bytes in a second session.
        input = new MemoryStream();
        w = new PktLineWriter(input);
        w.WriteText("git-filter-client");
        w.WriteText("version=2");
        w.WriteFlush();
        w.WriteText("capability=smudge");
        w.WriteFlush();
        Request("smudge", "a.safetensors", manifest.ToArray());
        input.Position = 0;
        output = new MemoryStream();
        GitFilterProcess.Serve(() => new GitFilter(git), input, output, errors);
        output.Position = 0;
        r = new PktLineReader(output);
        r.ReadTextList();
        Assert.Equal(["capability=smudge"], r.ReadTextList());
        Assert.Equal(["status=success"], r.ReadTextList());
        var smudged = new MemoryStream();
        r.CopyContentTo(smudged);
        Assert.Equal(bytes, smudged.ToArray());
    }

    [Fact]
    public void TextconvAndTheDiffDriverReadAManifestAndItsCheckpointAlike()
    {
        using var h = new GitHarness(install: false);
        var git = GitStore.Open(GitRepository.Open(h.Repo), h.Home);
        var w = StoreFixtures.Random(600, 3);
        var checkpoint = h.Scratch("a.safetensors");
        SafetensorsWriter.WriteRaw(checkpoint, [StoreFixtures.F32("w", w, 6, 100), StoreFixtures.F32("b", [1, 2], 2)]);
        var manifest = h.Scratch("a.manifest");
        File.WriteAllBytes(manifest, new GitFilter(git).Clean("a.safetensors", checkpoint));
        w[0] += 2;
        var changed = h.Scratch("b.safetensors");
        SafetensorsWriter.WriteRaw(changed, [StoreFixtures.F32("w", w, 6, 100), StoreFixtures.F32("b", [1, 2], 2)]);

        var cli = new Cli.CliRunner(h.Home);
        var fromManifest = cli.Run("git", "textconv", manifest);
        Assert.Equal(0, fromManifest.ExitCode);
        Assert.Equal(fromManifest.Out, cli.Run("git", "textconv", checkpoint).Out); // same text: no spurious diff
        Assert.Matches(@"^cadre checkpoint: 2,5\d\d bytes, 2 tensors, header [0-9a-f]{12}\nb F32 \[2\] [0-9a-f]{12}\nw F32 \[6, 100\] [0-9a-f]{12}\n$", fromManifest.Out);

        var zero = new string('0', 40);
        var diff = cli.Run("git", "-C", h.Repo, "diff-driver", "m.safetensors", manifest, zero, "100644", changed, zero, "100644");
        Assert.Equal(0, diff.ExitCode);
        Assert.Contains("changed   tensor m.safetensors:w F32 [6, 100]  l2 2 ", diff.Out);
        Assert.Contains("tensors: 1 changed, 1 unchanged", diff.Out);
        var added = cli.Run("git", "-C", h.Repo, "diff-driver", "m.safetensors", "/dev/null", ".", ".", changed, zero, "100644");
        Assert.Contains("tensors: 2 added", added.Out);
    }

    [Fact]
    public void GitManifestsAreDeterministicReadableAndCheckedOnRead()
    {
        var id = new string('a', 64);
        var text = "cadre-git-manifest 1\n{\"size\":40,\"header\":\"" + id + "\",\"tensors\":[\n{\"name\":\"w\",\"dtype\":\"F32\",\"shape\":[2],\"id\":\"" + id + "\"}\n]}\n";
        var m = GitManifest.Parse(Encoding.UTF8.GetBytes(text), "m");
        Assert.Equal(text, Encoding.UTF8.GetString(m.ToBytes()));
        Assert.False(GitManifest.LooksLike("cadre-git-manifes"u8));

        string Error(string body) => Assert.Throws<CadreException>(() => GitManifest.Parse(Encoding.UTF8.GetBytes(body), "m")).Message;
        Assert.Contains("version 2 is not supported", Error("cadre-git-manifest 2\n{}"));
        Assert.Contains("malformed cadre git manifest", Error("cadre-git-manifest 1\n{\"size\": 1"));
        Assert.Contains("bad object id", Error("cadre-git-manifest 1\n{\"size\":1,\"blob\":\"xyz\"}"));
        Assert.Contains("listed twice", Error(text.Replace("]}", ",{\"name\":\"w\",\"dtype\":\"F32\",\"shape\":[2],\"id\":\"" + id + "\"}]}")));
        Assert.Contains("a null entry", Error("cadre-git-manifest 1\n{\"size\":1,\"header\":\"" + id + "\",\"tensors\":[null]}"));
        Assert.Contains("bad tensor entry", Error(text.Replace("F32", "F99")));
        Assert.Contains("not a cadre git manifest", Error("hello"));
    }

    [Fact]
    public void InstallAddsOneLinePerPatternKeepsUserLinesAndReplacesItsOwn()
    {
        var user = "*.txt text\n# mine\n";
        var once = GitInstall.WithLines(user, ["*.safetensors"], [GitInstall.Line("*.safetensors", null)]);
        Assert.Equal(user + "*.safetensors filter=cadre diff=cadre merge=cadre -text\n", once);
        Assert.Equal(once, GitInstall.WithLines(once, ["*.safetensors"], [GitInstall.Line("*.safetensors", null)]));
        var average = GitMergeStrategies.Find("average", "test");
        var replaced = GitInstall.WithLines(once, ["*.safetensors"], [GitInstall.Line("*.safetensors", average)]);
        Assert.Equal(user + "*.safetensors filter=cadre diff=cadre merge=cadre -text cadre-merge=average\n", replaced);
        Assert.Throws<CadreException>(() => GitInstall.Line("a b", null));
        Assert.Equal("'it'\\''s'", GitInstall.Quote("it's"));
    }

    [Fact]
    public void MergeStrategiesHaveUniqueSnakeCaseNames()
    {
        var names = GitMergeStrategies.All.Select(s => s.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches(SnakeCase(), n));
        Assert.Equal("task_arithmetic", GitMergeStrategies.Find("task-arithmetic", "test").Name);
        Assert.Contains("use one of: ours, theirs, average, task_arithmetic", Assert.Throws<CadreException>(() => GitMergeStrategies.Find("median", "test")).Message);
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();
}
