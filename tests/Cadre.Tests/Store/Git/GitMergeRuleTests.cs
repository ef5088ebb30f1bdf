using System.Runtime.InteropServices;
using Cadre.Store.Git;
using Cadre.Tensors;

namespace Cadre.Tests.Store.Git;

/// <summary>The per-tensor rules of the three-way merge, called directly (no git merge), one case each.</summary>
public sealed class GitMergeRuleTests : IDisposable
{
    private readonly GitHarness _h = new(install: false);
    private readonly GitStore _git;
    private int _files;

    public GitMergeRuleTests() => _git = GitStore.Open(GitRepository.Open(_h.Repo), _h.Home);

    public void Dispose() => _h.Dispose();

    private GitManifest Checkpoint(params RawTensor[] tensors)
    {
        var file = _h.Scratch($"c{_files++}.safetensors");
        SafetensorsWriter.WriteRaw(file, tensors);
        return GitManifest.Parse(new GitFilter(_git).Clean("m.safetensors", file), "test");
    }

    private static RawTensor F(string name, params float[] values) => StoreFixtures.F32(name, values, values.Length);

    private GitMergeOutcome Merge(GitManifest? o, GitManifest a, GitManifest b, string? strategy = null) =>
        GitMerge.Merge(_git, o, a, b, strategy is null ? null : GitMergeStrategies.Find(strategy, "test"), 1);

    private float[] Values(GitManifest m, string name)
    {
        using var raw = _git.Objects.OpenRaw(m.Tensors.Single(t => t.Name == name).Id);
        var bytes = new byte[raw.Length];
        raw.ReadExactly(bytes);
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    [Fact]
    public void OneSidedChangesAdditionsAndRemovalsAreTakenWithoutAStrategy()
    {
        var o = Checkpoint(F("a", 1), F("b", 2), F("c", 3));
        var ours = Checkpoint(F("a", 10), F("b", 2));                 // changes a, removes c
        var theirs = Checkpoint(F("a", 1), F("b", 20), F("c", 3), F("d", 4)); // changes b, adds d
        var r = Merge(o, ours, theirs);
        Assert.Empty(r.Conflicts);
        Assert.Equal(["a", "b", "d"], r.Result!.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal([10f], Values(r.Result, "a"));
        Assert.Equal([20f], Values(r.Result, "b"));
        Assert.Equal([4f], Values(r.Result, "d"));
        var file = _h.Scratch("merged.safetensors");
        using (var output = File.Create(file)) new SmudgePlan("m", r.Result, "", _git).WriteTo(output);
        using var reader = SafetensorsReader.Open(file); // the rebuilt header reads back
        Assert.Equal(3, reader.Tensors.Count);
    }

    [Fact]
    public void IdenticalInputsAndTheSameChangeOnBothSidesMergeToThatVersion()
    {
        var o = Checkpoint(F("a", 1, 2));
        var changed = Checkpoint(F("a", 5, 6));
        Assert.Equal(changed.ToBytes(), Merge(o, changed, Checkpoint(F("a", 5, 6))).Result!.ToBytes());
        Assert.Equal(o.ToBytes(), Merge(o, o, o, "average").Result!.ToBytes());
    }

    [Theory]
    [InlineData(null, "changed on both sides; no merge strategy set")]
    [InlineData("average", "removed by ours, changed by theirs; average needs it on both sides")]
    public void RemovedOnOneSideAndChangedOnTheOtherIsAConflict(string? strategy, string message)
    {
        var o = Checkpoint(F("a", 1), F("b", 1));
        var ours = strategy is null ? Checkpoint(F("a", 2), F("b", 1)) : Checkpoint(F("b", 1));
        var r = Merge(o, ours, Checkpoint(F("a", 3), F("b", 1)), strategy);
        Assert.Null(r.Result);
        Assert.Equal([$"a ({message})"], r.Conflicts);
    }

    [Fact]
    public void OursAndTheirsPickASideEvenForRemovalsAndShapeChanges()
    {
        var o = Checkpoint(F("a", 1), F("b", 1));
        var ours = Checkpoint(F("b", 1));            // removes a
        var theirs = Checkpoint(F("a", 3, 3), F("b", 1)); // reshapes a
        Assert.Equal(["b"], Merge(o, ours, theirs, "ours").Result!.Tensors.Select(t => t.Name));
        Assert.Equal([3f, 3f], Values(Merge(o, ours, theirs, "theirs").Result!, "a"));
    }

    [Fact]
    public void TaskArithmeticNeedsAMergeBaseAndFloatTensors()
    {
        var ours = Checkpoint(F("a", 1, 2));
        var theirs = Checkpoint(F("a", 3, 4));
        Assert.Equal(["a (added on both sides with different values; task_arithmetic needs a merge base that has it)"],
                     Merge(null, ours, theirs, "task_arithmetic").Conflicts);
        Assert.Equal([2f, 3f], Values(Merge(null, ours, theirs, "average").Result!, "a")); // average needs no base
        var ints = new RawTensor("i", DType.I64, [1], BitConverter.GetBytes(5L));
        var o = Checkpoint(ints);
        var r = Merge(o, Checkpoint(ints with { Bytes = BitConverter.GetBytes(6L) }), Checkpoint(ints with { Bytes = BitConverter.GetBytes(7L) }), "average");
        Assert.Equal(["i (changed on both sides; I64 is not a floating-point dtype)"], r.Conflicts);
    }
}
