using Cadre.Store;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

/// <summary>
/// Store locks and staging leases. flock locks belong to an open file description, so two opens of one lock file in
/// this process contend exactly as two processes do: what a second process would meet, a second open meets here.
/// </summary>
public sealed class StoreLockTests
{
    [Fact]
    public async Task ASecondOpenOfAHeldLockWaitsForItInsteadOfFailing()
    {
        using var dir = new TempDir();
        var first = StoreLock.Acquire(dir.Path, StoreLock.RefsLock);
        // Before the fix the second open threw at once ("being used by another process"): .NET's FileStream took its
        // own non-blocking flock when it opened the lock file, before the wait ever ran.
        var second = Task.Run(() => StoreLock.Acquire(dir.Path, StoreLock.RefsLock));
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted, second.Exception?.InnerException?.Message ?? "the second lock was granted while the first was held");
        first.Dispose();
        using var granted = await second.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task SharedLocksCoexistAndAnExclusiveOneWaitsForThemAll()
    {
        using var dir = new TempDir();
        var a = StoreLock.Acquire(dir.Path, StoreLock.ObjectsLock, shared: true);
        var b = StoreLock.Acquire(dir.Path, StoreLock.ObjectsLock, shared: true); // at once: shared locks do not exclude
        var gc = Task.Run(() => StoreLock.Acquire(dir.Path, StoreLock.ObjectsLock));
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(gc.IsCompleted);
        a.Dispose();
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(gc.IsCompleted, "the exclusive lock was granted while a shared one was still held");
        b.Dispose();
        using var granted = await gc.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AWaiterGivesUpAfterTheTimeoutWithAClearMessage()
    {
        using var dir = new TempDir();
        using var held = StoreLock.Acquire(dir.Path, StoreLock.RefsLock);
        var e = Assert.Throws<StoreBusyException>(() => StoreLock.Acquire(dir.Path, StoreLock.RefsLock, timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Contains("refs.lock held by another Cadre process", e.Message);
    }

    [Fact]
    public void GcSweepsStagingNoLiveProcessHoldsAndKeepsTheRest()
    {
        using var home = new TempDir();
        using var live = StagingLease.Create(home.Path, "import");
        File.WriteAllBytes(Path.Combine(live.Path, "model.safetensors"), new byte[1000]);
        var tmp = StagingLease.Folder(home.Path);
        // What a killed import leaves: its folder and its lock file, the lock held by nobody any more.
        var dead = Path.Combine(tmp, "import-deadbeef0001");
        Directory.CreateDirectory(dead);
        File.WriteAllBytes(Path.Combine(dead, "model.safetensors"), new byte[3000]);
        File.WriteAllText(dead + StagingLease.LockSuffix, "");
        // What an earlier Cadre left: a folder with no lock file at all.
        var old = Path.Combine(tmp, "specialist-0123456789ab");
        Directory.CreateDirectory(old);
        File.WriteAllBytes(Path.Combine(old, "head.safetensors"), new byte[500]);

        var (entries, bytes) = StagingLease.Sweep(tmp);

        Assert.Equal(2, entries);
        Assert.Equal(3500, bytes);
        Assert.False(Directory.Exists(dead) || File.Exists(dead + StagingLease.LockSuffix) || Directory.Exists(old));
        Assert.True(File.Exists(Path.Combine(live.Path, "model.safetensors")), "gc removed staging a live process holds");
        Assert.True(File.Exists(live.Path + StagingLease.LockSuffix));
        live.Dispose();
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
    }

    [Fact]
    public void HeldStagingSurvivesGcUntilReleased()
    {
        using var dir = new TempDir();
        var store = new CadreStore(dir.Path);
        store.Commit("s", StoreFixtures.Folder(dir.Path, "v", [StoreFixtures.F32("w", StoreFixtures.Random(10, 1), 10)]), StoreFixtures.Base, "one");
        var staging = new BaseCatalog(dir.Path).CreateStaging();
        File.WriteAllText(Path.Combine(staging, "config.json"), "{}");
        Assert.Equal(0, store.Gc().RemovedTemporary);
        Assert.True(File.Exists(Path.Combine(staging, "config.json")));
        StagingLease.Release(staging);
        Assert.False(Directory.Exists(staging));
        Assert.Empty(Directory.EnumerateFileSystemEntries(StagingLease.Folder(dir.Path)));
    }
}
