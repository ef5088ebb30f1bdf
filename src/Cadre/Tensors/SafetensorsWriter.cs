using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Cadre.Tensors;

/// <summary>A tensor to write from raw little-endian bytes, for code that holds no TorchSharp tensor.</summary>
public sealed record RawTensor(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// Writes the safetensors format as Hugging Face's library does: tensors ordered by dtype (widest first, in the
/// library's dtype order) then by name, a compact JSON header with <c>__metadata__</c> first, padded with spaces to a
/// multiple of 8 bytes. Writes go to a temporary file that is flushed to disk and renamed over the target, so a
/// crash leaves the old file or the new one, never half of one.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Writes TorchSharp tensors (any device, any layout: copied to contiguous CPU memory one at a time).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var entries = list.Select(p => (p.Key, DTypes.FromScalarType(p.Value.dtype), p.Value.shape)).ToList();
        var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in list)
            byName.TryAdd(name, tensor); // duplicates are reported by WriteEntries
        WriteEntries(path, entries, metadata, name =>
        {
            using var scope = NewDisposeScope();
            var t = byName[name].detach().cpu().contiguous();
            return t.bytes.ToArray(); // one tensor's bytes at a time
        });
    }

    public static void WriteRaw(string path, IEnumerable<RawTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var t in byName.Values)
        {
            var expected = t.Shape.Aggregate(1L, (a, b) => checked(a * b)) * t.DType.Size();
            if (expected != t.Bytes.Length)
                throw new CadreException($"tensor '{t.Name}': shape [{string.Join(", ", t.Shape)}] of {t.DType} needs {expected} bytes, got {t.Bytes.Length}");
        }
        WriteEntries(path, byName.Values.Select(t => (t.Name, t.DType, t.Shape)).ToList(), metadata,
                     name => byName[name].Bytes.ToArray());
    }

    /// <summary>Hugging Face's dtype order (its Dtype enum); tensors are laid out widest-first along it.</summary>
    private static int Rank(DType d) => d switch
    {
        DType.BOOL => 0, DType.U8 => 1, DType.I8 => 2, DType.I16 => 5, DType.F16 => 7, DType.BF16 => 8,
        DType.I32 => 9, DType.F32 => 11, DType.F64 => 12, DType.I64 => 13, _ => 0,
    };

    private static void WriteEntries(string path, List<(string Name, DType DType, long[] Shape)> entries,
                                     IReadOnlyDictionary<string, string>? metadata, Func<string, byte[]> bytesOf)
    {
        if (entries.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count() != entries.Count)
            throw new CadreException($"{path}: duplicate tensor names");
        if (entries.Any(e => e.Name == SafetensorsHeader.MetadataKey))
            throw new CadreException($"{path}: '{SafetensorsHeader.MetadataKey}' is reserved and cannot name a tensor");
        var ordered = entries.OrderByDescending(e => Rank(e.DType)).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        var header = Header(ordered, metadata);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                stream.Write(BitConverter.GetBytes((ulong)header.Length));
                stream.Write(header);
                foreach (var e in ordered)
                    stream.Write(bytesOf(e.Name));
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
                File.Delete(tmp);
        }
    }

    private static byte[] Header(List<(string Name, DType DType, long[] Shape)> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                    json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape) in ordered)
            {
                var length = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.Size());
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.Name());
                json.WriteStartArray("shape");
                foreach (var d in shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += length;
            }
            json.WriteEndObject();
        }
        var bytes = buffer.ToArray();
        var padded = (bytes.Length + 7) / 8 * 8; // the data buffer starts 8-byte aligned
        var header = new byte[padded];
        bytes.CopyTo(header, 0);
        Array.Fill(header, (byte)' ', bytes.Length, padded - bytes.Length);
        return header;
    }
}
