using System.Text;
using Cadre.Store;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Store;

[Collection(TorchCollection.Name)]
public sealed class ObjectStoreTests
{
    [Fact]
    public void BlobsAndTensorsReadBackExactlyAndEqualContentIsStoredOnce()
    {
        using var dir = new TempDir();
        var store = new ObjectStore(dir.Path);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("hello store ", 1000)));
        var blob = store.PutBlob(text);
        Assert.Equal(blob, store.PutBlob(text));
        Assert.Equal(text, store.ReadAll(blob));
        Assert.True(store.StoredSize(blob) < text.Length / 4, "repetitive text compresses");

        var values = StoreFixtures.Random(5000, 1);
        var raw = StoreFixtures.F32("w", values, 50, 100).Bytes.ToArray();
        var id = store.PutTensor(DType.F32, [50, 100], () => new MemoryStream(raw));
        Assert.Equal(TensorHash.Compute(DType.F32, [50, 100], raw).Hex, id);
        Assert.Equal(raw, store.ReadAll(id));
        Assert.Equal(2, store.All().Count());
        Assert.Null(store.Check(id));
    }

    [Theory]
    [InlineData(3, "Sparse")]     // a handful of changed elements: (gap, element) pairs
    [InlineData(5000, "XorDeflate")] // every element nudged: XOR against the old bytes
    public void AChangedTensorIsStoredAsADeltaAgainstItsEarlierVersion(int changed, string codec)
    {
        using var dir = new TempDir();
        var store = new ObjectStore(dir.Path);
        var before = StoreFixtures.Random(5000, 2);
        var after = before.ToArray();
        for (var i = 0; i < changed; i++) after[(i * 7919) % after.Length] += 1e-4f * (1 + i % 3);
        var rawBefore = StoreFixtures.F32("w", before, 5000).Bytes.ToArray();
        var rawAfter = StoreFixtures.F32("w", after, 5000).Bytes.ToArray();
        var old = store.PutTensor(DType.F32, [5000], () => new MemoryStream(rawBefore));
        var id = store.PutTensor(DType.F32, [5000], () => new MemoryStream(rawAfter), similar: old);
        var header = store.ReadHeader(id);
        Assert.Equal(codec, header.Codec.ToString());
        Assert.Equal(old, header.Base);
        Assert.Equal(1, header.Depth);
        Assert.Equal(rawAfter, store.ReadAll(id));
        Assert.True(store.StoredSize(id) < store.StoredSize(old), $"delta {store.StoredSize(id)} bytes vs full {store.StoredSize(old)}");
        Assert.Null(store.Check(id));
    }

    [Fact]
    public void DeltaChainsStopAtTheirMaximumDepth()
    {
        using var dir = new TempDir();
        var store = new ObjectStore(dir.Path);
        var values = StoreFixtures.Random(1000, 3);
        string? previous = null;
        var depths = new List<int>();
        for (var v = 0; v < ObjectHeader.MaxDepth + 3; v++)
        {
            values[v] += 0.5f;
            var raw = StoreFixtures.F32("w", values, 1000).Bytes.ToArray();
            previous = store.PutTensor(DType.F32, [1000], () => new MemoryStream(raw), similar: previous);
            depths.Add(store.ReadHeader(previous).Depth);
            Assert.Equal(raw, store.ReadAll(previous));
        }
        Assert.Equal(ObjectHeader.MaxDepth, depths.Max());
        Assert.Contains(0, depths.Skip(1)); // the chain restarts with a self-contained object
    }

    [Fact]
    public void ACorruptOrForgedObjectIsNamedAndNeverExpandsPastItsDeclaredSize()
    {
        using var dir = new TempDir();
        var store = new ObjectStore(dir.Path);
        var raw = StoreFixtures.F32("w", StoreFixtures.Random(4000, 4), 4000).Bytes.ToArray();
        var id = store.PutTensor(DType.F32, [4000], () => new MemoryStream(raw));
        StoreFixtures.Corrupt(store, id);
        Assert.NotNull(store.Check(id));

        // A header that declares 8 bytes over a payload that inflates to far more.
        var forged = store.PathOf(new string('b', 64));
        Directory.CreateDirectory(Path.GetDirectoryName(forged)!);
        var header = new ObjectHeader { Kind = ObjectKind.Blob, Size = 8, Codec = ObjectCodec.Deflate }.Encode();
        using (var f = File.Create(forged))
        {
            f.Write(header);
            using var z = new System.IO.Compression.ZLibStream(f, System.IO.Compression.CompressionLevel.Fastest);
            z.Write(new byte[1 << 20]);
        }
        var e = Assert.Throws<CadreException>(() => store.ReadAll(new string('b', 64)));
        Assert.Contains("more than the declared", e.Message);

        File.WriteAllBytes(forged, Encoding.ASCII.GetBytes("CADROBJ1\xff\xff\xff\x7f"));
        Assert.Contains("exceeds", Assert.Throws<CadreException>(() => store.ReadHeader(new string('b', 64))).Message);
        File.WriteAllBytes(forged, Encoding.ASCII.GetBytes("PK\x03\x04 not an object at all"));
        Assert.Contains("bad magic", Assert.Throws<CadreException>(() => store.ReadHeader(new string('b', 64))).Message);
    }

    [Fact]
    public void ImpossibleHeadersAreRefusedBeforeAnythingIsDecoded()
    {
        var bad = new[]
        {
            new ObjectHeader { Kind = ObjectKind.Tensor, DType = "F32", Shape = [10], Size = 41, Codec = ObjectCodec.Raw },
            new ObjectHeader { Kind = ObjectKind.Tensor, DType = "F99", Shape = [10], Size = 40, Codec = ObjectCodec.Raw },
            new ObjectHeader { Kind = ObjectKind.Tensor, DType = "F32", Shape = [1L << 62, 8], Size = 40, Codec = ObjectCodec.Raw },
            new ObjectHeader { Kind = ObjectKind.Tensor, DType = "F32", Shape = [10], Size = 40, Codec = ObjectCodec.Sparse, Depth = 1 },
            new ObjectHeader { Kind = ObjectKind.Blob, Size = 10, Codec = ObjectCodec.XorDeflate, Base = new string('c', 64), Depth = 1, Chunk = 1 },
            new ObjectHeader { Kind = ObjectKind.Tensor, DType = "F32", Shape = [10], Size = 40, Codec = ObjectCodec.Sparse, Base = new string('c', 64), Depth = 99 },
        };
        foreach (var h in bad)
            Assert.Throws<CadreException>(() => h.Check("test"));
    }
}
