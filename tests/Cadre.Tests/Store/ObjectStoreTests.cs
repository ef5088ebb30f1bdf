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

[Collection(TorchCollection.Name)]
public sealed class LowRankObjectTests
{
    private static float[] RoundTrip(DType dtype, float[] values)
    {
        var bytes = new byte[values.Length * dtype.Size()];
        TensorElements.Encode(dtype, values.Select(v => (double)v).ToArray(), bytes);
        var back = new double[values.Length];
        TensorElements.Decode(dtype, bytes, back);
        return back.Select(v => (float)v).ToArray();
    }

    /// <summary>W' = W + B·A (a merged LoRA) rounded to the checkpoint's dtype, stored against W.</summary>
    [Theory]
    [InlineData("F32")]
    [InlineData("BF16")]
    [InlineData("F16")]
    public void ALowRankUpdateIsStoredAsFactorsAndReadsBackBitForBit(string dtypeName)
    {
        var dtype = DTypes.Parse(dtypeName)!.Value;
        const int m = 256, n = 192, r = 4;
        using var dir = new TempDir();
        var store = new ObjectStore(dir.Path);
        var w = RoundTrip(dtype, StoreFixtures.Random(m * n, 1, 0.05f)); // the checkpoint's own precision, as training keeps it
        var b = StoreFixtures.Random(m * r, 2, 0.01f);
        var a = StoreFixtures.Random(r * n, 3, 0.01f);
        var updated = new float[m * n];
        for (var i = 0; i < m; i++)
        for (var j = 0; j < n; j++)
        {
            var d = 0f;
            for (var t = 0; t < r; t++) d += b[i * r + t] * a[t * n + j];
            updated[i * n + j] = w[i * n + j] + d;
        }
        byte[] Raw(float[] values)
        {
            var bytes = new byte[values.Length * dtype.Size()];
            TensorElements.Encode(dtype, values.Select(v => (double)v).ToArray(), bytes);
            return bytes;
        }
        var (before, after) = (Raw(w), Raw(updated));
        var old = store.PutTensor(dtype, [m, n], () => new MemoryStream(before));
        var id = store.PutTensor(dtype, [m, n], () => new MemoryStream(after), similar: old);
        var header = store.ReadHeader(id);
        Assert.Equal(ObjectCodec.LowRank, header.Codec);
        Assert.InRange(header.Rank, 1, 8);
        Assert.Equal(after, store.ReadAll(id));
        Assert.Null(store.Check(id));

        // The same change stored as XOR, for comparison: the factors and residual must be clearly smaller.
        var xorStore = new ObjectStore(Path.Combine(dir.Path, "xor"));
        var xorOld = xorStore.PutTensor(dtype, [m * n], () => new MemoryStream(before));
        var xor = xorStore.PutTensor(dtype, [m * n], () => new MemoryStream(after), similar: xorOld); // 1-D: no low rank
        Assert.Equal(ObjectCodec.XorDeflate, xorStore.ReadHeader(xor).Codec);
        // bfloat16 keeps 8 significant bits: an update of about one ulp re-rounds many elements, and the exact
        // residual of those re-roundings eats most of what the factors save.
        var ratio = dtype == DType.BF16 ? 0.95 : 0.6;
        Assert.True(store.StoredSize(id) < ratio * xorStore.StoredSize(xor), $"low rank {store.StoredSize(id)} bytes vs XOR {xorStore.StoredSize(xor)}");
    }

    [Fact]
    public void AFullRankUpdateIsNotForcedIntoFactors()
    {
        using var dir = new TempDir();
        var store = new ObjectStore(dir.Path);
        var w = StoreFixtures.Random(128 * 96, 4);
        var noise = StoreFixtures.Random(128 * 96, 5, 1e-3f);
        var raw = StoreFixtures.F32("w", w, 128, 96).Bytes.ToArray();
        var changed = StoreFixtures.F32("w", w.Zip(noise, (x, e) => x + e).ToArray(), 128, 96).Bytes.ToArray();
        var old = store.PutTensor(DType.F32, [128, 96], () => new MemoryStream(raw));
        var id = store.PutTensor(DType.F32, [128, 96], () => new MemoryStream(changed), similar: old);
        Assert.NotEqual(ObjectCodec.LowRank, store.ReadHeader(id).Codec);
        Assert.Equal(changed, store.ReadAll(id));
    }
}
