using System.Text;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Tests.Tensors;

/// <summary>Opening reads only the header; data is reached through the map, in place, and never after Dispose.</summary>
[Collection(TorchCollection.Name)]
public sealed class SafetensorsLazyReadingTests
{
    private const long Big = 64L << 20;

    /// <summary>A file with a 64 MiB tensor that occupies no disk (sparse) and a small one after it.</summary>
    private static string SparseFile(TempDir dir)
    {
        var path = dir.File("big.safetensors");
        var header = Encoding.UTF8.GetBytes(
            $"{{\"big\":{{\"dtype\":\"U8\",\"shape\":[{Big}],\"data_offsets\":[0,{Big}]}},\"small\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{Big},{Big + 8}]}}}}");
        using var stream = new FileStream(path, FileMode.CreateNew);
        stream.Write(BitConverter.GetBytes((ulong)header.Length));
        stream.Write(header);
        stream.SetLength(8 + header.Length + Big);
        stream.Seek(0, SeekOrigin.End);
        stream.Write(BitConverter.GetBytes(1.5f));
        stream.Write(BitConverter.GetBytes(-2f));
        return path;
    }

    [Fact]
    public void OpeningAndHashingDoNotCopyTheData()
    {
        using var dir = new TempDir();
        var path = SparseFile(dir);
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var reader = SafetensorsReader.Open(path);
        var opened = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(opened < 256 << 10, $"Open allocated {opened} bytes for a {Big}-byte tensor");

        before = GC.GetAllocatedBytesForCurrentThread();
        var hash = reader.Hash("big");
        var span = reader.Bytes("big");
        var hashing = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(hashing < 64 << 10, $"hashing a mapped {Big}-byte tensor allocated {hashing} bytes");
        Assert.Equal(Big, span.Length);
        Assert.Equal(0, span[(int)Big - 1]);

        using var stream = reader.OpenRead("big");
        Assert.Equal(Big, stream.Length);
        Assert.Equal(hash, TensorHash.Compute(DType.U8, [Big], stream));
        using var small = reader.ReadTensor("small");
        Assert.Equal(new[] { 1.5f, -2f }, small.data<float>().ToArray());
    }

    [Fact]
    public void NothingReadsTheMapAfterDispose()
    {
        using var dir = new TempDir();
        var path = SparseFile(dir);
        var reader = SafetensorsReader.Open(path);
        using var stream = reader.OpenRead("small");
        using var kept = reader.ReadTensor("small");
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.ReadTensor("small"));
        Assert.Throws<ObjectDisposedException>(() => reader.Hash("small"));
        Assert.Throws<ObjectDisposedException>(() => reader.Bytes("small").Length);
        Assert.Throws<ObjectDisposedException>(() => stream.ReadByte()); // not a read of unmapped memory
        Assert.Equal(new[] { 1.5f, -2f }, kept.data<float>().ToArray()); // the copy is the caller's
        File.Delete(path);
        Assert.Equal(-2f, kept[1].item<float>());
    }

    [Fact]
    public void ReadTensorCopiesIntoTheCallersScope()
    {
        using var dir = new TempDir();
        var path = SparseFile(dir);
        using var reader = SafetensorsReader.Open(path);
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var scope = NewDisposeScope())
        {
            var t = reader.ReadTensor("small");
            Assert.Equal(live + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // no temporaries left behind, only the result
            Assert.False(t.IsInvalid);
        }
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // the result belonged to the caller's scope
    }

    [Fact]
    public void ChunkedCopiesAndHashesEqualWholeOnes()
    {
        // Tensors above 2 GiB are copied and hashed in chunks; small chunks run that path on small tensors.
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var source = arange(0, 13, dtype: ScalarType.Float64).reshape(13, 1) * 1.25; // (13, 1), 104 bytes
        var odd = arange(0, 7, dtype: ScalarType.Int16);                            // (7,), 14 bytes
        var expectedBytes = source.bytes.ToArray();
        var saved = TensorBytes.ChunkBytes;
        try
        {
            TensorBytes.ChunkBytes = 12; // not a multiple of 8: one F64 per chunk, six I16 per chunk
            var path = dir.File("c.safetensors");
            SafetensorsWriter.Write(path, [new("x", source), new("y", odd)]);
            using var reader = SafetensorsReader.Open(path);
            Assert.Equal(expectedBytes, reader.Bytes("x").ToArray());
            Assert.Equal(expectedBytes, reader.ReadTensor("x").bytes.ToArray());
            Assert.Equal(odd.bytes.ToArray(), reader.ReadTensor("y").bytes.ToArray());
            Assert.Equal(TensorHash.Compute(DType.F64, [13, 1], expectedBytes), reader.Hash("x"));
            Assert.Equal(TensorHash.Compute(DType.I16, [7], odd.bytes), reader.Hash("y"));
        }
        finally
        {
            TensorBytes.ChunkBytes = saved;
        }
    }
}
