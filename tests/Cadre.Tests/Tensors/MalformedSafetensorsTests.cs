using System.Text;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Tensors;

/// <summary>Every malformed file is refused with a message naming the file and the problem, fast, without big allocations.</summary>
public sealed class MalformedSafetensorsTests
{
    private static byte[] File(string header, int dataBytes, ulong? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes(declaredLength ?? (ulong)h.Length), .. h, .. new byte[dataBytes]];
    }

    public static TheoryData<string, byte[], string> Cases() => new()
    {
        { "empty file", [], "fewer than the 8-byte header length" },
        { "header length 2^60", File("{}", 0, 1UL << 60), "exceeds" },
        { "header longer than file", File("{}", 0, 4096), "runs past the end" },
        { "truncated data", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "truncated" },
        { "overlap", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap tensor 'a'" },
        { "gap", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "leave a gap of 4 bytes" },
        { "trailing bytes", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 9), "not described by the header" },
        { "negative shape", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "non-negative integers" },
        { "huge shape", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4), "too large" },
        { "shape/size mismatch", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12 bytes" },
        { "bad utf-8", [.. BitConverter.GetBytes(4UL), 0x7b, 0xff, 0xfe, 0x7d], "not valid UTF-8" },
        { "not json", File("hello!!!", 0), "not valid JSON" },
        { "not an object", File("[1,2,3]", 0), "not a JSON object" },
        { "unknown dtype", File("{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16), "unknown dtype 'F128'" },
        { "duplicate key", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2), "duplicate key 'a'" },
        { "metadata not string", File("{\"__metadata__\":{\"k\":1}}", 0), "must be a string" },
        { "offsets reversed", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4), "begin <= end" },
        { "missing field", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1), "needs dtype, shape and data_offsets" },
        { "claims a terabyte", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[268435456,1024],\"data_offsets\":[0,1099511627776]}}", 16), "run past the 16-byte data buffer" },
        { "huge shape with zero", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[4611686018427387904,4,0],\"data_offsets\":[0,0]}}", 0), "too large" },
        { "shape beyond int64", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,0]}}", 0), "non-negative integers" },
        { "fractional shape", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", 1), "non-negative integers" },
        { "three offsets", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1), "more than 2 entries" },
        { "dtype not a string", File("{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "dtype must be a string" },
        { "duplicate field", File("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "duplicate field 'dtype'" },
        { "entry not an object", File("{\"a\":[1]}", 0), "entry must be an object" },
        { "metadata not object", File("{\"__metadata__\":[\"k\"]}", 0), "__metadata__ must be an object of strings" },
        { "content after object", File("{} {}", 0), "not valid JSON" },
        { "truncated json", File("{\"a\":{\"dtype\":", 0), "not valid JSON" },
        { "lone surrogate escape", File("{\"\\ud800\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0), "not valid JSON" },
        { "zero-length inside another", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,2]}}", 4), "overlap tensor 'a'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MalformedFileIsRefusedClearlyAndCheaply(string name, byte[] content, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File(name.Replace(' ', '_').Replace('/', '_') + ".safetensors");
        System.IO.File.WriteAllBytes(path, content);
        // "Cheaply" is checked by what the reader allocates, which no load on the machine changes (not by a clock).
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CadreException>(() => { using var _ = SafetensorsReader.Open(path); });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
        Assert.True(allocated < content.Length + (1 << 20), $"allocated {allocated} bytes for a {content.Length}-byte file");
    }

    [Fact]
    public void UnknownFieldsAndNullMetadataAreAcceptedAsHuggingFaceDoes()
    {
        using var dir = new TempDir();
        var path = dir.File("ok.safetensors");
        System.IO.File.WriteAllBytes(path, File("{\"__metadata__\":null,\"b\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[1,1]},"
            + "\"a\":{\"extra\":{\"x\":[1]},\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}   ", 1));
        using var reader = SafetensorsReader.Open(path);
        Assert.Empty(reader.Metadata);
        Assert.Equal(["a", "b"], reader.Tensors.Select(t => t.Name)); // file order
    }

    [Fact]
    public void EveryTruncationOfAValidFileIsRefused()
    {
        using var dir = new TempDir();
        var whole = dir.File("whole.safetensors");
        SafetensorsWriter.WriteRaw(whole, [new RawTensor("w", DType.F32, [2, 2], new byte[16]), new RawTensor("b", DType.U8, [3], new byte[] { 1, 2, 3 })],
                                   new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = System.IO.File.ReadAllBytes(whole);
        var cut = dir.File("cut.safetensors");
        for (var length = 0; length < bytes.Length; length++)
        {
            System.IO.File.WriteAllBytes(cut, bytes[..length]);
            var e = Assert.Throws<CadreException>(() => { using var _ = SafetensorsReader.Open(cut); });
            Assert.StartsWith(cut + ": ", e.Message);
        }
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<CadreException>(() => SafetensorsReader.Open("/nonexistent/x.safetensors"));
        Assert.Contains("/nonexistent/x.safetensors: file not found", e.Message);
    }
}
