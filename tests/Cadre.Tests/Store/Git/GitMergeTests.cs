using System.Runtime.InteropServices;
using Cadre.Tensors;

namespace Cadre.Tests.Store.Git;

/// <summary>git merge of branches that both changed a checkpoint, through Cadre's merge driver and the real git.</summary>
public sealed class GitMergeTests
{
    private static readonly long[] WShape = [20, 100];

    /// <summary>main and "other" both change w from the base; only "other" changes b; main adds nothing.</summary>
    private static (float[] Base, float[] Ours, float[] Theirs) Branches(GitHarness h, bool theirsAddsTensor = false)
    {
        var o = StoreFixtures.Random(2000, 10);
        h.WriteCheckpoint("model.safetensors", ("w", o, WShape), ("b", [1, 2, 3], [3]));
        h.Commit("base");
        h.Git("checkout", "-q", "-b", "other").Ok();
        var theirs = o.Select((v, i) => i % 3 == 0 ? v + 0.25f : v).ToArray();
        if (theirsAddsTensor)
            h.WriteCheckpoint("model.safetensors", ("w", theirs, WShape), ("b", [1, 2, 4], [3]), ("extra", [7, 8], [2]));
        else
            h.WriteCheckpoint("model.safetensors", ("w", theirs, WShape), ("b", [1, 2, 4], [3]));
        h.Commit("theirs");
        h.Git("checkout", "-q", "main").Ok();
        var ours = o.Select((v, i) => i % 5 == 0 ? v - 0.5f : v).ToArray();
        h.WriteCheckpoint("model.safetensors", ("w", ours, WShape), ("b", [1, 2, 3], [3]));
        h.Commit("ours");
        return (o, ours, theirs);
    }

    private static float[] Values(GitHarness h, string name)
    {
        using var reader = SafetensorsReader.Open(h.PathOf("model.safetensors"));
        return MemoryMarshal.Cast<byte, float>(reader.Bytes(name)).ToArray();
    }

    [Fact]
    public void AverageStrategyGivesTheElementwiseMeanAndTakesOneSidedChanges()
    {
        using var h = new GitHarness(install: false);
        h.Cadre("git", "install", "--strategy", "average").Ok();
        Assert.Contains("*.safetensors filter=cadre diff=cadre merge=cadre -text cadre-merge=average", File.ReadAllText(h.PathOf(".gitattributes")));
        var (_, ours, theirs) = Branches(h);
        var merge = h.Git("merge", "-m", "merged", "other").Ok();
        Assert.Contains("cadre: merged model.safetensors: 1 average, 1 from theirs", merge.Out + merge.Error);

        var w = Values(h, "w");
        for (var i = 0; i < w.Length; i++) Assert.Equal((float)(((double)ours[i] + theirs[i]) / 2), w[i]);
        Assert.Equal([1f, 2f, 4f], Values(h, "b"));
        Assert.Equal("", h.Git("status", "--porcelain").Ok().Out); // the merged manifest is what the work tree cleans to
    }

    [Fact]
    public void TaskArithmeticAddsBothTaskVectorsToTheMergeBase()
    {
        using var h = new GitHarness();
        h.Git("config", "cadre.merge.strategy", "task-arithmetic").Ok();
        h.Git("config", "cadre.merge.lambda", "0.5").Ok();
        var (o, ours, theirs) = Branches(h);
        h.Git("merge", "-m", "merged", "other").Ok();
        var w = Values(h, "w");
        for (var i = 0; i < w.Length; i++)
            Assert.Equal((float)(o[i] + 0.5 * (((double)ours[i] - o[i]) + ((double)theirs[i] - o[i]))), w[i]);
    }

    [Fact]
    public void WithoutAStrategyTheMergeStopsAtAConflictNamingTheTensors()
    {
        using var h = new GitHarness();
        var (_, ours, _) = Branches(h);
        var merge = h.Git("merge", "-m", "merged", "other");
        Assert.NotEqual(0, merge.ExitCode);
        Assert.Contains("cadre: merge conflict in model.safetensors: 1 tensor cannot be merged", merge.Error);
        Assert.Contains("w (changed on both sides; no merge strategy set)", merge.Error);
        Assert.Contains("cadre-merge=NAME", merge.Error);
        Assert.Contains("UU model.safetensors", h.Git("status", "--porcelain").Out);
        Assert.Equal(ours, Values(h, "w")); // the work tree keeps our checkpoint, whole and readable
    }

    [Fact]
    public void ATensorAddedOnOneSideGetsANewValidHeader()
    {
        using var h = new GitHarness(install: false);
        h.Cadre("git", "install", "--strategy", "theirs").Ok();
        var (_, _, theirs) = Branches(h, theirsAddsTensor: true);
        h.Git("merge", "-m", "merged", "other").Ok();
        using (var reader = SafetensorsReader.Open(h.PathOf("model.safetensors")))
            Assert.Equal(["b", "extra", "w"], reader.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(theirs, Values(h, "w"));
        Assert.Equal([7f, 8f], Values(h, "extra"));
    }

    [Fact]
    public void AStrategyThatCannotApplyIsAConflict()
    {
        using var h = new GitHarness(install: false);
        h.Cadre("git", "install", "--strategy", "average").Ok();
        h.WriteCheckpoint("model.safetensors", ("w", [1, 2, 3, 4], [4]));
        h.Commit("base");
        h.Git("checkout", "-q", "-b", "other").Ok();
        h.WriteCheckpoint("model.safetensors", ("w", [1, 2, 3, 4, 5, 6], [6]));
        h.Commit("theirs");
        h.Git("checkout", "-q", "main").Ok();
        h.WriteCheckpoint("model.safetensors", ("w", [0, 2, 3, 4], [4]));
        h.Commit("ours");
        var merge = h.Git("merge", "-m", "merged", "other");
        Assert.NotEqual(0, merge.ExitCode);
        Assert.Contains("w (changed on both sides: ours F32 [4], theirs F32 [6])", merge.Error);
    }
}
