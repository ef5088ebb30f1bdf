using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cadre.Store;
using Cadre.Store.Bundles;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

[Collection(TorchCollection.Name)]
public sealed class BundleTests
{
    /// <summary>A store at HOME with the fixture base and versions 1..count of "spam", each changing a few elements.</summary>
    internal static (CadreStore Store, List<string> Folders) Sender(string root, int count, int size = 4000)
    {
        var store = new CadreStore(Path.Combine(root, "sender"));
        var w = StoreFixtures.Random(size, 11);
        store.CommitBase("tiny", StoreFixtures.Folder(root, "base", [StoreFixtures.F32("base.w", w, size)]), StoreFixtures.Base);
        var folders = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            for (var k = 0; k < 5; k++) w[(i * 131 + k * 17) % size] += 0.25f;
            folders.Add(StoreFixtures.Folder(root, $"v{i}", [StoreFixtures.F32("w", w, size), StoreFixtures.F32("bias", [i, 2, 3], 3)], $"{{\"v\": {i}}}"));
            store.Commit("spam", folders[^1], StoreFixtures.Base, $"v{i}");
        }
        return (store, folders);
    }

    internal static CadreStore Receiver(string root, string name, bool withBase = true)
    {
        var store = new CadreStore(Path.Combine(root, name));
        if (withBase)
            store.CommitBase("tiny", StoreFixtures.Folder(root, "base-" + name, [StoreFixtures.F32("base.w", StoreFixtures.Random(4000, 11), 4000)]), StoreFixtures.Base);
        return store;
    }

    private static string StateOf(CadreStore store) =>
        string.Join("\n", store.Objects.All()) + "|" + (Directory.Exists(store.Refs.Folder)
            ? string.Join("\n", Directory.GetFiles(store.Refs.Folder, "*", SearchOption.AllDirectories).Order().Select(f => f + "=" + File.ReadAllText(f)))
            : "");

    [Fact]
    public void ABundleCarriesTheHistoryAndOnlyWhatChangedSinceAVersionTheReceiverHas()
    {
        using var dir = new TempDir();
        var (sender, folders) = Sender(dir.Path, 3);
        var receiver = Receiver(dir.Path, "receiver");
        var full = dir.File("full.bundle");
        var first = BundleWriter.Write(sender, sender.Resolve("spam", "2"), null, false, full);
        Assert.Equal(2, first.Versions);
        var applied = BundleApplier.Apply(receiver, full);
        Assert.Equal(2, applied.NewVersions);
        Assert.Equal(StoreFixtures.Bytes(folders[1]), StoreFixtures.Bytes(receiver.FolderOf(receiver.Resolve("spam", "2"))));

        var update = dir.File("update.bundle");
        var since = BundleWriter.Write(sender, sender.Resolve("spam", "3"), sender.Resolve("spam", "2"), false, update);
        Assert.Equal(1, since.Versions);
        // Version 3 changed 5 of 4,000 elements and one small tensor: its bundle is a small fraction of a full copy.
        Assert.True(since.Bytes < 0.15 * 16000, $"{since.Bytes} bytes");
        BundleApplier.Apply(receiver, update);
        Assert.Equal(sender.Resolve("spam", "main").Id, receiver.Resolve("spam", "main").Id);
        Assert.Equal(StoreFixtures.Bytes(folders[2]), StoreFixtures.Bytes(receiver.FolderOf(receiver.Resolve("spam", null))));
        Assert.True(receiver.Verify().Ok, string.Join("\n", receiver.Verify().Problems));

        // A receiver without version 2 refuses the update whole.
        var stranger = Receiver(dir.Path, "stranger");
        var before = StateOf(stranger);
        Assert.Contains("lacks", Assert.Throws<CadreException>(() => BundleApplier.Apply(stranger, update)).Message);
        Assert.Equal(before, StateOf(stranger));
    }

    [Fact]
    public void TheBaseMustBeHereOrTravelWithTheBundle()
    {
        using var dir = new TempDir();
        var (sender, folders) = Sender(dir.Path, 2);
        var bare = Receiver(dir.Path, "bare", withBase: false);
        var plain = dir.File("plain.bundle");
        BundleWriter.Write(sender, sender.Resolve("spam", null), null, false, plain);
        Assert.Contains("needs base 'tiny'", Assert.Throws<CadreException>(() => BundleApplier.Apply(bare, plain)).Message);
        Assert.Empty(bare.Specialists());

        var withBase = dir.File("with-base.bundle");
        BundleWriter.Write(sender, sender.Resolve("spam", null), null, true, withBase);
        var result = BundleApplier.Apply(bare, withBase);
        Assert.True(result.BaseAdded);
        Assert.NotNull(bare.FindBase(StoreFixtures.Base));
        Assert.True(File.Exists(Path.Combine(bare.Home, "bases", "tiny", "model.safetensors")));
        Assert.Equal(StoreFixtures.Bytes(folders[1]), StoreFixtures.Bytes(bare.FolderOf(bare.Resolve("spam", null))));
    }

    [Fact]
    public void ATamperedTruncatedOrForgedBundleIsRejectedWhole()
    {
        using var dir = new TempDir();
        var (sender, _) = Sender(dir.Path, 2);
        var receiver = Receiver(dir.Path, "receiver");
        var good = dir.File("good.bundle");
        BundleWriter.Write(sender, sender.Resolve("spam", null), null, false, good);
        var bytes = File.ReadAllBytes(good);
        var headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        var before = StateOf(receiver);

        void Rejected(byte[] content, string expected)
        {
            var path = dir.File("bad-" + Guid.NewGuid().ToString("N")[..6] + ".bundle");
            File.WriteAllBytes(path, content);
            var e = Assert.Throws<CadreException>(() => BundleApplier.Apply(receiver, path));
            Assert.Contains(expected, e.Message);
            Assert.Equal(before, StateOf(receiver));
        }

        var flipped = bytes.ToArray();
        flipped[^20] ^= 0x40;
        Rejected(flipped, "corrupt");
        Rejected(bytes[..^7], "add up to");
        Rejected(bytes.Concat(new byte[9]).ToArray(), "add up to");
        Rejected(Encoding.ASCII.GetBytes("PK\x03\x04 a zip file"), "bad magic");
        var huge = bytes.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(8), uint.MaxValue);
        Rejected(huge, "larger than the limit");

        string Forge(Func<string, string> edit)
        {
            var json = edit(Encoding.UTF8.GetString(bytes, 12, headerLength));
            var head = Encoding.UTF8.GetBytes(json);
            var result = new byte[12 + head.Length + bytes.Length - 12 - headerLength];
            bytes.AsSpan(0, 8).CopyTo(result);
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)head.Length);
            head.CopyTo(result, 12);
            bytes.AsSpan(12 + headerLength).CopyTo(result.AsSpan(12 + head.Length));
            return Convert.ToBase64String(result);
        }
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 12, headerLength));
        var firstId = doc.RootElement.GetProperty("objects")[0].GetProperty("id").GetString()!;
        Rejected(Convert.FromBase64String(Forge(j => j.Replace(firstId, "../../../../etc/passwd" + new string('0', 42)))), "bad object id");
        Rejected(Convert.FromBase64String(Forge(j => j.Replace("\"specialist\":\"spam\"", "\"specialist\":\"../x\""))), "invalid");
        Rejected(Convert.FromBase64String(Forge(j => j.Replace("\"branch\":\"main\"", "\"branch\":\"../../HEAD\""))), "invalid");
        Rejected(Convert.FromBase64String(Forge(j => j.Replace("\"specialist\":\"spam\"", "\"specialist\":\"ham\""))), "belongs to 'spam'");
        Assert.Equal(0, Directory.Exists(receiver.Objects.TmpFolder) ? Directory.GetFileSystemEntries(receiver.Objects.TmpFolder).Length : 0);
    }

    [Fact]
    public void PushAndPullMoveOnlyWhatIsMissingAndRefuseDivergedHistories()
    {
        using var dir = new TempDir();
        var (sender, folders) = Sender(dir.Path, 2);
        var other = new CadreStore(Path.Combine(dir.Path, "other"));
        var pushed = Remotes.Transfer(sender, other, VersionSpec.Parse("spam"));
        Assert.True(pushed.BaseAdded);
        Assert.Equal(2, pushed.NewVersions);
        Assert.Equal(0, Remotes.Transfer(sender, other, VersionSpec.Parse("spam")).NewObjects);

        var puller = new CadreStore(Path.Combine(dir.Path, "puller"));
        var pulled = Remotes.Transfer(new CadreStore(Remotes.HomeOf(other.Root)), puller, VersionSpec.Parse("spam@1"));
        Assert.Equal(1, pulled.NewVersions);
        Assert.Equal(StoreFixtures.Bytes(folders[0]), StoreFixtures.Bytes(puller.FolderOf(puller.Resolve("spam", null))));

        // Both sides add a version 3 of their own: the second transfer is refused, nothing changes.
        sender.Commit("spam", StoreFixtures.Folder(dir.Path, "s3", [StoreFixtures.F32("w", StoreFixtures.Random(4000, 90), 4000)]), StoreFixtures.Base, "s3");
        other.Commit("spam", StoreFixtures.Folder(dir.Path, "o3", [StoreFixtures.F32("w", StoreFixtures.Random(4000, 91), 4000)]), StoreFixtures.Base, "o3");
        var refsBefore = StateOf(other).Split('|')[1]; // objects may arrive; no ref may move
        Assert.Contains("diverged", Assert.Throws<CadreException>(() => Remotes.Transfer(sender, other, VersionSpec.Parse("spam"))).Message);
        Assert.Equal(refsBefore, StateOf(other).Split('|')[1]);
        Assert.Equal("o3", other.Resolve("spam", null).Record.Message);
    }

    [Fact]
    public void PullNeverFollowsALinkPlantedInTheSourceStore()
    {
        using var dir = new TempDir();
        var (sender, _) = Sender(dir.Path, 1);
        var tensor = sender.ReadManifest(sender.Head("spam")!).File("model.safetensors")!.Tensors![0].Id;
        var path = sender.Objects.PathOf(tensor);
        File.Delete(path);
        File.CreateSymbolicLink(path, "/etc/hostname");
        var puller = new CadreStore(Path.Combine(dir.Path, "puller"));
        Assert.Contains("symbolic link", Assert.Throws<CadreException>(() => Remotes.Transfer(sender, puller, VersionSpec.Parse("spam"))).Message);
        Assert.Empty(puller.Specialists());
    }
}
