using Cadre.Store;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

[Collection(TorchCollection.Name)]
public sealed class HistoryTests
{
    private static (CadreStore Store, TempDir Dir) NewStore()
    {
        var dir = new TempDir();
        return (new CadreStore(Path.Combine(dir.Path, "home")), dir);
    }

    [Fact]
    public void CommitsFormAHistoryAndEveryVersionMaterializesByteForByte()
    {
        var (store, dir) = NewStore();
        using var _ = dir;
        var w = StoreFixtures.Random(2000, 1);
        var v1 = StoreFixtures.Folder(dir.Path, "v1", [StoreFixtures.F32("w", w, 20, 100), StoreFixtures.F32("b", [1, 2, 3], 3)]);
        w[5] += 1;
        var v2 = StoreFixtures.Folder(dir.Path, "v2", [StoreFixtures.F32("w", w, 20, 100), StoreFixtures.F32("b", [1, 2, 3], 3)], "{\"x\": 2}");
        var (first, created1) = store.Commit("spam", v1, StoreFixtures.Base, "one");
        var (second, created2) = store.Commit("spam", v2, StoreFixtures.Base, "two");
        Assert.True(created1 && created2);
        Assert.Equal([1, 2], new[] { first.Number, second.Number });
        Assert.Equal([first.Id], second.Record.Parents);
        Assert.Equal(second.Id, store.Head("spam")!.Id);
        Assert.Equal(["two", "one"], store.Log(second).Select(v => v.Record.Message));

        // Unchanged tensor "b" is one object; "w" changed in one element and is a sparse delta on version 1's.
        var m1 = store.ReadManifest(first).File("model.safetensors")!.Tensors!.ToDictionary(t => t.Name);
        var m2 = store.ReadManifest(second).File("model.safetensors")!.Tensors!.ToDictionary(t => t.Name);
        Assert.Equal(m1["b"].Id, m2["b"].Id);
        Assert.Equal(ObjectCodec.Sparse, store.Objects.ReadHeader(m2["w"].Id).Codec);

        Assert.Equal(StoreFixtures.Bytes(v1), StoreFixtures.Bytes(store.FolderOf(first)));
        Assert.Equal(StoreFixtures.Bytes(v2), StoreFixtures.Bytes(store.FolderOf(second)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(v2, "notes.json")), File.ReadAllBytes(Path.Combine(store.FolderOf(second), "notes.json")));

        // Committing the same files again records nothing new.
        var (again, created3) = store.Commit("spam", v2, StoreFixtures.Base, "three");
        Assert.False(created3);
        Assert.Equal(second.Id, again.Id);
    }

    [Fact]
    public void RevisionsResolveByNumberTagBranchAndIdPrefix()
    {
        var (store, dir) = NewStore();
        using var _ = dir;
        var versions = Enumerable.Range(1, 3).Select(i =>
            store.Commit("intent", StoreFixtures.Folder(dir.Path, $"v{i}", [StoreFixtures.F32("w", StoreFixtures.Random(10, i), 10)]), StoreFixtures.Base, $"v{i}").Version).ToList();
        store.CreateTag("intent", "good", versions[0], force: false);
        store.CreateBranch("intent", "experiment", versions[1]);
        Assert.Equal(versions[1].Id, store.Resolve("intent", "2").Id);
        Assert.Equal(versions[0].Id, store.Resolve("intent", "good").Id);
        Assert.Equal(versions[1].Id, store.Resolve("intent", "experiment").Id);
        Assert.Equal(versions[2].Id, store.Resolve("intent", "main").Id);
        Assert.Equal(versions[2].Id, store.Resolve("intent", null).Id);
        Assert.Equal(versions[0].Id, store.Resolve("intent", versions[0].Id[..8]).Id);
        Assert.Equal(versions[0].Id, store.Resolve(VersionSpec.Parse("intent@good")).Id);

        Assert.Contains("no version 9", Assert.Throws<CadreException>(() => store.Resolve("intent", "9")).Message);
        Assert.Contains("experiment, main, good", Assert.Throws<CadreException>(() => store.Resolve("intent", "nope")).Message);
        Assert.Contains("unknown specialist 'other'", Assert.Throws<CadreException>(() => store.Resolve("other", null)).Message);
        Assert.Contains("already exists", Assert.Throws<CadreException>(() => store.CreateTag("intent", "good", versions[2], force: false)).Message);
        Assert.Throws<CadreException>(() => store.CreateBranch("intent", "../../escape", versions[0]));
        Assert.Throws<CadreException>(() => VersionSpec.Parse("../x@1"));
        store.CreateTag("intent", "good", versions[2], force: true);
        Assert.Equal(versions[2].Id, store.Resolve("intent", "good").Id);
    }

    [Fact]
    public void CheckoutOfABranchExtendsItAndADetachedHeadMovesNoBranch()
    {
        var (store, dir) = NewStore();
        using var _ = dir;
        string F(int i) => StoreFixtures.Folder(dir.Path, $"f{i}", [StoreFixtures.F32("w", StoreFixtures.Random(10, i), 10)]);
        var v1 = store.Commit("s", F(1), StoreFixtures.Base, "1").Version;
        var v2 = store.Commit("s", F(2), StoreFixtures.Base, "2").Version;
        store.CreateBranch("s", "exp", v1);
        store.Checkout("s", "exp");
        Assert.Equal("exp", store.CurrentBranch("s"));
        var v3 = store.Commit("s", F(3), StoreFixtures.Base, "3").Version;
        Assert.Equal([v1.Id], v3.Record.Parents);
        Assert.Equal(v3.Id, store.Resolve("s", "exp").Id);
        Assert.Equal(v2.Id, store.Resolve("s", "main").Id);

        store.Checkout("s", "1");
        Assert.Null(store.CurrentBranch("s"));
        Assert.Equal(v1.Id, store.Head("s")!.Id);
        var v4 = store.Commit("s", F(4), StoreFixtures.Base, "4").Version;
        Assert.Equal(v4.Id, store.Head("s")!.Id);
        Assert.Equal(v3.Id, store.Resolve("s", "exp").Id);
        Assert.Equal(v2.Id, store.Resolve("s", "main").Id);
        Assert.Contains("HEAD is on it", Assert.Throws<CadreException>(() => { store.Checkout("s", "main"); store.DeleteBranch("s", "main"); }).Message);
    }

    [Fact]
    public void GcRemovesOnlyWhatNoVersionReachesAndVerifyStaysClean()
    {
        var (store, dir) = NewStore();
        using var _ = dir;
        var w = StoreFixtures.Random(3000, 7);
        var folders = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            w[i * 10] += 1;
            folders.Add(StoreFixtures.Folder(dir.Path, $"v{i}", [StoreFixtures.F32("w", w, 3000)]));
            store.Commit("s", folders[^1], StoreFixtures.Base, $"{i}");
        }
        var orphan = store.Objects.PutBlob("nobody refers to me"u8);
        Directory.CreateDirectory(store.Objects.TmpFolder);
        File.WriteAllText(Path.Combine(store.Objects.TmpFolder, "obj-leftover"), "half an object");
        var before = store.Objects.All().Count();
        var report = store.Gc();
        Assert.Equal(1, report.RemovedObjects);
        Assert.Equal(1, report.RemovedTemporary);
        Assert.False(store.Objects.Has(orphan));
        Assert.Equal(before - 1, store.Objects.All().Count());
        Assert.True(store.Verify().Ok, string.Join("\n", store.Verify().Problems));
        for (var i = 0; i < 3; i++)
            Assert.Equal(StoreFixtures.Bytes(folders[i]), StoreFixtures.Bytes(store.FolderOf(store.Resolve("s", $"{i + 1}"))));

        store.Remove("s");
        store.Gc();
        Assert.Empty(store.Objects.All());
    }

    [Fact]
    public void VerifyNamesEachCorruptAndMissingObject()
    {
        var (store, dir) = NewStore();
        using var _ = dir;
        var v = store.Commit("s", StoreFixtures.Folder(dir.Path, "v", [StoreFixtures.F32("w", StoreFixtures.Random(3000, 8), 3000), StoreFixtures.F32("b", StoreFixtures.Random(500, 9), 500)]), StoreFixtures.Base, "v").Version;
        var tensors = store.ReadManifest(v).File("model.safetensors")!.Tensors!;
        Assert.True(store.Verify().Ok);
        StoreFixtures.Corrupt(store.Objects, tensors[0].Id);
        File.Delete(store.Objects.PathOf(tensors[1].Id));
        var report = store.Verify();
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Contains("corrupt object " + tensors[0].Id, StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.Contains("missing object " + tensors[1].Id, StringComparison.Ordinal));
        Assert.Contains("gc refused", Assert.Throws<CadreException>(() => store.Gc()).Message);
    }

    [Fact]
    public void AFirstVersionOfAFullyFineTunedModelIsADeltaAgainstTheStoredBase()
    {
        var (store, dir) = NewStore();
        using var _ = dir;
        var w = StoreFixtures.Random(20000, 10);
        var baseFolder = StoreFixtures.Folder(dir.Path, "base", [StoreFixtures.F32("encoder.w", w, 200, 100)]);
        store.CommitBase("tiny", baseFolder, StoreFixtures.Base);
        for (var i = 0; i < w.Length; i++) w[i] += 1e-4f * MathF.Sin(i);
        var tuned = store.Commit("s", StoreFixtures.Folder(dir.Path, "ft", [StoreFixtures.F32("encoder.w", w, 200, 100)]), StoreFixtures.Base, "ft").Version;
        var t = store.ReadManifest(tuned).File("model.safetensors")!.Tensors![0];
        var header = store.Objects.ReadHeader(t.Id);
        Assert.NotNull(header.Base);
        Assert.True(store.Objects.StoredSize(t.Id) < 0.8 * 80000, $"{store.Objects.StoredSize(t.Id)} bytes for an 80,000-byte tensor");
    }
}
