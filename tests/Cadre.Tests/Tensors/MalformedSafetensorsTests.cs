using System.Diagnostics;
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
        { "gap", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "gap of 4 bytes" },
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
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MalformedFileIsRefusedClearlyAndCheaply(string name, byte[] content, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File(name.Replace(' ', '_').Replace('/', '_') + ".safetensors");
        System.IO.File.WriteAllBytes(path, content);
        var watch = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CadreException>(() => { using var _ = SafetensorsReader.Open(path); });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
        Assert.True(allocated < content.Length + (1 << 20), $"allocated {allocated} bytes for a {content.Length}-byte file");
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<CadreException>(() => SafetensorsReader.Open("/nonexistent/x.safetensors"));
        Assert.Contains("/nonexistent/x.safetensors: file not found", e.Message);
    }
}
