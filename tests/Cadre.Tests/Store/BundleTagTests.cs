using Cadre.Store;
using Cadre.Store.Bundles;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

/// <summary>Bundles (format version 2), push and pull carry the tags on the history they carry; the receiver's own tags win.</summary>
[Collection(TorchCollection.Name)]
public sealed class BundleTagTests
{
    [Fact]
    public void TagsOnTheBundledHistoryTravelAndAReceiversOwnTagIsKept()
    {
        using var dir = new TempDir();
        var (sender, _) = BundleTests.Sender(dir.Path, 3);
        sender.CreateTag("spam", "first", sender.Resolve("spam", "1"), force: false);
        sender.CreateTag("spam", "second", sender.Resolve("spam", "2"), force: false);
        sender.CreateTag("spam", "third", sender.Resolve("spam", "3"), force: false);
        var receiver = BundleTests.Receiver(dir.Path, "receiver");

        var full = dir.File("full.bundle");
        var summary = BundleWriter.Write(sender, sender.Resolve("spam", "2"), null, false, full);
        Assert.Equal(["first", "second"], summary.Tags); // "third" is on a version the bundle does not carry
        var applied = BundleApplier.Apply(receiver, full);
        Assert.Equal(["first", "second"], applied.TagsAdded);
        Assert.Empty(applied.Warnings);
        Assert.Equal(sender.Resolve("spam", "1").Id, receiver.Resolve("spam", "first").Id);
        Assert.Equal(sender.Resolve("spam", "2").Id, receiver.Resolve("spam", "second").Id);

        // The sender moves "first"; the receiver keeps its own and is told. Tags on versions it already holds travel
        // in a --since bundle too.
        sender.CreateTag("spam", "first", sender.Resolve("spam", "2"), force: true);
        var update = dir.File("update.bundle");
        Assert.Equal(["first", "second", "third"], BundleWriter.Write(sender, sender.Resolve("spam", "3"), sender.Resolve("spam", "2"), false, update).Tags);
        var second = BundleApplier.Apply(receiver, update);
        Assert.Equal(["third"], second.TagsAdded);
        var warning = Assert.Single(second.Warnings);
        Assert.Contains("tag 'first'", warning);
        Assert.Contains("kept this store's", warning);
        Assert.Equal(sender.Resolve("spam", "1").Id, receiver.Resolve("spam", "first").Id);
        Assert.Equal(sender.Resolve("spam", "3").Id, receiver.Resolve("spam", "third").Id);

        // Push and pull go through the same bundle.
        var other = BundleTests.Receiver(dir.Path, "other");
        var pushed = Remotes.Transfer(sender, other, new VersionSpec("spam", "main"));
        Assert.Equal(["first", "second", "third"], pushed.TagsAdded);
        Assert.Equal(sender.Resolve("spam", "2").Id, other.Resolve("spam", "first").Id);
    }
}
