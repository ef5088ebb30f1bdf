using Cadre.Tensors;
using Cadre.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Cadre.Tests.Tensors;

/// <summary>What the writer refuses, what it accepts that is awkward, and that a failed write changes nothing.</summary>
[Collection(TorchCollection.Name)]
public sealed class SafetensorsWriterTests
{
    [Fact]
    public void NonContiguousAndGradientTensorsAreWrittenByValueWithoutLeaks()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var matrix = arange(6, dtype: ScalarType.Float32).reshape(2, 3); // (2, 3)
        var transposed = matrix.t();                                    // (3, 2), a strided view
        var trained = ones(2, requires_grad: true);
        var path = dir.File("v.safetensors");
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        SafetensorsWriter.Write(path, [new("t", transposed), new("g", trained)]);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // contiguous copies were disposed
        Assert.False(transposed.is_contiguous()); // the caller's tensors are untouched
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(new long[] { 3, 2 }, reader.Info("t").Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, reader.ReadTensor("t").data<float>().ToArray());
        Assert.Equal(new float[] { 1, 1 }, reader.ReadTensor("g").data<float>().ToArray());
    }

    [Fact]
    public void RefusedTensorsNameTheFileAndLeaveNothingBehind()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("x.safetensors");
        void Refused(string expected, Action write)
        {
            var e = Assert.Throws<CadreException>(write);
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains(expected, e.Message);
        }
        Refused("needs 8 bytes, got 7", () => SafetensorsWriter.WriteRaw(path, [new RawTensor("a", DType.F32, [2], new byte[7])]));
        Refused("negative dimension", () => SafetensorsWriter.WriteRaw(path, [new RawTensor("a", DType.F32, [-1], new byte[4])]));
        Refused("too large", () => SafetensorsWriter.WriteRaw(path, [new RawTensor("a", DType.F32, [1L << 62, 4], new byte[4])]));
        Refused("duplicate tensor name 'a'", () => SafetensorsWriter.WriteRaw(path,
            [new RawTensor("a", DType.U8, [1], new byte[1]), new RawTensor("a", DType.U8, [1], new byte[1])]));
        Refused("'__metadata__' is reserved", () => SafetensorsWriter.WriteRaw(path, [new RawTensor("__metadata__", DType.U8, [0], Array.Empty<byte>())]));
        Refused("not valid Unicode", () => SafetensorsWriter.WriteRaw(path, [new RawTensor("bad\ud800", DType.U8, [0], Array.Empty<byte>())]));
        Refused("tensor 'c': tensor dtype ComplexFloat32", () => SafetensorsWriter.Write(path, [new("c", zeros(2, dtype: ScalarType.ComplexFloat32))]));
        Refused("unknown dtype 99", () => SafetensorsWriter.WriteRaw(path, [new RawTensor("a", (DType)99, [1], new byte[1])]));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileIntact()
    {
        using var dir = new TempDir();
        var path = dir.File("m.safetensors");
        SafetensorsWriter.WriteRaw(path, [new RawTensor("old", DType.U8, [2], new byte[] { 1, 2 })]);
        var before = File.ReadAllBytes(path);
        using (var scope = NewDisposeScope())
        {
            var b = ones(3);
            // The header is built from both tensors; then "b" is disposed, so copying its bytes fails mid-file.
            IEnumerable<KeyValuePair<string, Tensor>> Tensors()
            {
                yield return new("a", ones(2));
                yield return new("b", b);
                b.Dispose();
            }
            Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, Tensors()));
        }
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["m.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        SafetensorsWriter.WriteRaw(path, [new RawTensor("new", DType.U8, [1], new byte[] { 9 })]); // overwrites
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(["new"], reader.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void MetadataIsWrittenInKeyOrderAndEmptyMetadataIsKept()
    {
        using var dir = new TempDir();
        var path = dir.File("m.safetensors");
        var metadata = new Dictionary<string, string> { ["z"] = "last", ["a"] = "first \"quoted\"\n", ["ß"] = "ü" };
        SafetensorsWriter.WriteRaw(path, [], metadata);
        var header = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path)[8..]).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"a\":\"first \\\"quoted\\\"\\n\",\"z\":\"last\",\"ß\":\"ü\"}}", header);
        using (var reader = SafetensorsReader.Open(path))
            Assert.Equal(metadata, reader.Metadata);

        SafetensorsWriter.WriteRaw(path, [], new Dictionary<string, string>()); // HF writes Some({}) as an empty map
        Assert.Equal("{\"__metadata__\":{}}", System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path)[8..]).TrimEnd(' '));
    }
}
