using static TorchSharp.torch;

namespace Cadre.Tensors;

/// <summary>A tensor to write from raw little-endian, row-major bytes, for code that holds no TorchSharp tensor.</summary>
public sealed record RawTensor(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// A tensor that is made only when the writer reaches it (<see cref="SafetensorsWriter.WriteStreaming"/>): its
/// name, dtype and shape are known up front for the header; <c>produce</c> returns the tensor, which the writer
/// writes and disposes before it asks for the next one.
/// </summary>
public sealed record LazyTensor(string Name, DType DType, long[] Shape, Func<Tensor> Produce);

/// <summary>
/// Writes the safetensors format byte for byte as Hugging Face's library does (safetensors/src/tensor.rs,
/// <c>prepare</c>): tensors laid out by dtype in descending order of its <c>Dtype</c> enum (widest alignment first:
/// I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), ties by name in UTF-8 byte order; a compact JSON header with
/// <c>__metadata__</c> first, then the tensors in data order, padded with spaces to a multiple of 8 bytes. One
/// deliberate difference: Hugging Face writes metadata keys in hash-map order (random), Cadre in UTF-8 key order.
/// Writes go to a temporary file in the target's folder that is flushed to disk and renamed over the target, so a
/// crash or an error leaves the old file or the new one, never half of one.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes TorchSharp tensors of any device and layout: each is copied to contiguous CPU memory, one at a time, in
    /// a dispose scope of its own, and its storage is written without a managed copy. The tensors stay the caller's.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<Entry>();
        foreach (var (name, tensor) in tensors)
        {
            DType dtype;
            try
            {
                dtype = DTypes.FromScalarType(tensor.dtype);
            }
            catch (CadreException e)
            {
                throw new CadreException($"{path}: tensor '{name}': {e.Message}");
            }
            var shape = tensor.shape;
            entries.Add(new Entry(name, dtype, shape, dtype.ByteLength(shape)!.Value, stream => WriteTensor(tensor, stream)));
        }
        WriteEntries(path, entries, metadata);
    }

    /// <summary>Writes tensors given as raw bytes; each one's length must equal its shape × dtype size.</summary>
    public static void WriteRaw(string path, IEnumerable<RawTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<Entry>();
        foreach (var t in tensors)
        {
            if (!Enum.IsDefined(t.DType))
                throw new CadreException($"{path}: tensor '{t.Name}': unknown dtype {(int)t.DType}");
            var shapeText = "[" + string.Join(", ", t.Shape) + "]";
            var expected = t.DType.ByteLength(t.Shape)
                ?? throw new CadreException($"{path}: tensor '{t.Name}': shape {shapeText} has a negative dimension or is too large");
            if (expected != t.Bytes.Length)
                throw new CadreException($"{path}: tensor '{t.Name}': shape {shapeText} of {t.DType} needs {expected} bytes, got {t.Bytes.Length}");
            var bytes = t.Bytes;
            entries.Add(new Entry(t.Name, t.DType, [.. t.Shape], expected, stream => stream.Write(bytes.Span)));
        }
        WriteEntries(path, entries, metadata);
    }

    /// <summary>
    /// Writes tensors that are produced one at a time, in the file's data order (by dtype, then name), each written
    /// and disposed before the next is asked for: memory holds one output tensor, whatever the file's size. A
    /// produced tensor must have the declared shape; its dtype is converted to the declared one.
    /// </summary>
    public static void WriteStreaming(string path, IEnumerable<LazyTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<Entry>();
        foreach (var t in tensors)
        {
            var shape = t.Shape.ToArray();
            var byteLength = t.DType.ByteLength(shape)
                ?? throw new CadreException($"{path}: tensor '{t.Name}': shape [{string.Join(", ", shape)}] has a negative dimension or is too large");
            var (name, dtype, produce) = (t.Name, t.DType, t.Produce);
            entries.Add(new Entry(name, dtype, shape, byteLength, stream =>
            {
                using var scope = NewDisposeScope();
                var made = produce();
                if (!made.shape.SequenceEqual(shape))
                    throw new InvalidOperationException($"tensor '{name}' was produced with shape [{string.Join(", ", made.shape)}], declared [{string.Join(", ", shape)}]");
                WriteTensor(made.to(dtype.ToScalarType()), stream);
            }));
        }
        WriteEntries(path, entries, metadata);
    }

    private sealed record Entry(string Name, DType DType, long[] Shape, long ByteLength, Action<Stream> WriteData);

    private static void WriteTensor(Tensor tensor, Stream stream)
    {
        using var scope = NewDisposeScope(); // the CPU/contiguous copies, when the tensor was not already both
        var data = tensor.detach().cpu().contiguous();
        TensorBytes.ForEachChunk(data, (_, chunk) => stream.Write(chunk));
    }

    private static void WriteEntries(string path, List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        Validate(path, entries, metadata);
        var ordered = entries.OrderByDescending(e => e.DType.HuggingFaceRank()).ThenBy(e => e.Name, Utf8Order.Strings).ToList();
        var header = SafetensorsHeaderWriter.Build([.. ordered.Select(e => (e.Name, e.DType, e.Shape, e.ByteLength))], metadata);
        if (header.Length > SafetensorsHeader.MaxHeaderBytes)
            throw new CadreException($"{path}: header of {header.Length} bytes exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit of readers");
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (var e in ordered)
                {
                    var start = stream.Position;
                    e.WriteData(stream);
                    if (stream.Position - start != e.ByteLength) // the tensor changed shape or dtype under us
                        throw new InvalidOperationException($"tensor '{e.Name}' wrote {stream.Position - start} bytes, its header says {e.ByteLength}");
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            File.Delete(tmp); // no-op once renamed
        }
    }

    /// <summary>Refuses what the reader would refuse or misread, before a byte is written.</summary>
    private static void Validate(string path, List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!names.Add(e.Name))
                throw new CadreException($"{path}: duplicate tensor name '{e.Name}'");
            if (e.Name == SafetensorsHeader.MetadataKey)
                throw new CadreException($"{path}: '{SafetensorsHeader.MetadataKey}' is reserved and cannot name a tensor");
            if (!SafetensorsHeaderWriter.IsValidUnicode(e.Name))
                throw new CadreException($"{path}: tensor name '{e.Name}' is not valid Unicode (a lone surrogate)");
        }
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            if (value is null || !SafetensorsHeaderWriter.IsValidUnicode(key) || !SafetensorsHeaderWriter.IsValidUnicode(value))
                throw new CadreException($"{path}: {SafetensorsHeader.MetadataKey} entry '{key}' is null or not valid Unicode (a lone surrogate)");
    }
}
