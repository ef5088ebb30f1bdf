using Cadre.Tensors;

namespace Cadre.Store;

/// <summary>
/// Content-addressed objects under <c>STORE/objects/ab/cdef…</c>: tensors by <see cref="TensorHash"/>, blobs by
/// <see cref="ObjectIds.OfBlob(ReadOnlySpan{byte})"/>. An object is written to <c>STORE/tmp</c>, flushed to disk and
/// renamed into place, so a reader sees a whole object or none; equal content is stored once. Objects never change
/// after they are written, so writes need no lock (two writers of one id write the same bytes); only removal does.
/// </summary>
public sealed class ObjectStore(string root)
{
    public string Root { get; } = root;
    public string ObjectsFolder => Path.Combine(Root, "objects");
    public string TmpFolder => Path.Combine(Root, "tmp");

    /// <summary>
    /// Another store to read objects from when this one lacks them: a bundle is staged in a store of its own whose
    /// fallback is the receiver's, so its deltas decode against objects on either side before any is installed.
    /// </summary>
    public ObjectStore? Fallback { get; init; }

    public string PathOf(string id) => Path.Combine(ObjectsFolder, ObjectIds.Check(id, "object")[..2], id[2..]);

    public bool Has(string id) => ObjectIds.IsValid(id) && (File.Exists(PathOf(id)) || Fallback?.Has(id) == true);

    /// <summary>True when this store itself (not its fallback) holds the object.</summary>
    public bool HasLocal(string id) => ObjectIds.IsValid(id) && File.Exists(PathOf(id));

    /// <summary>Bytes the object takes on disk.</summary>
    public long StoredSize(string id) => HasLocal(id) || Fallback is null ? new FileInfo(PathOf(id)).Length : Fallback.StoredSize(id);

    public ObjectHeader ReadHeader(string id)
    {
        using var stream = OpenFile(id);
        return ObjectHeader.Read(stream, $"object {id[..12]}");
    }

    /// <summary>The object's raw bytes, decoded as they are read (a delta's base chain is decoded beside it).</summary>
    public Stream OpenRaw(string id)
    {
        var stream = OpenFile(id);
        try
        {
            var what = $"object {id[..12]}";
            var header = ObjectHeader.Read(stream, what);
            Stream? baseRaw = null;
            if (header.Base is { } baseId)
            {
                if (!Has(baseId)) throw new CadreException($"{what}: its delta base {baseId[..12]} is missing");
                var baseHeader = ReadHeader(baseId);
                if (baseHeader.Kind != header.Kind || baseHeader.Size != header.Size || baseHeader.Depth != header.Depth - 1)
                    throw new CadreException($"{what}: its delta base {baseId[..12]} does not match (size or depth)");
                baseRaw = OpenRaw(baseId);
            }
            return new DecodingStream(header, stream, baseRaw, what);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public byte[] ReadAll(string id, long limit = 64 << 20)
    {
        using var raw = OpenRaw(id);
        if (raw.Length > limit)
            throw new CadreException($"object {id[..12]}: {raw.Length} bytes, more than the {limit} expected here");
        var bytes = new byte[raw.Length];
        raw.ReadExactly(bytes);
        raw.ReadByte(); // at the end: a payload that holds more than its declared size throws here
        return bytes;
    }

    /// <summary>Stores a blob (JSON, a header, a small file) and returns its id.</summary>
    public string PutBlob(ReadOnlySpan<byte> bytes)
    {
        var id = ObjectIds.OfBlob(bytes);
        if (Has(id)) return id;
        var copy = bytes.ToArray();
        Write(id, codec => new ObjectHeader { Kind = ObjectKind.Blob, Size = copy.Length, Codec = codec },
              [ObjectCodec.Deflate], () => new MemoryStream(copy, writable: false), null, 1);
        return id;
    }

    /// <summary>Stores a file's bytes as a blob, streaming.</summary>
    public string PutBlobFile(string path)
    {
        string id;
        using (var s = File.OpenRead(path)) id = ObjectIds.OfBlob(s);
        if (Has(id)) return id;
        var size = new FileInfo(path).Length;
        Write(id, codec => new ObjectHeader { Kind = ObjectKind.Blob, Size = size, Codec = codec },
              [ObjectCodec.Deflate], () => File.OpenRead(path), null, 1);
        return id;
    }

    /// <summary>
    /// Stores a tensor whose raw bytes <paramref name="openRaw"/> yields (opened once per pass) and returns its id.
    /// With a <paramref name="similar"/> tensor (an earlier version of it: same dtype and shape) the change alone is
    /// stored: sparse when few elements changed; else, for a float matrix whose change is of low rank, its factors
    /// plus an exact residual, or XOR; whichever encoding is smallest on disk is kept.
    /// </summary>
    public string PutTensor(DType dtype, long[] shape, Func<Stream> openRaw, string? similar = null, string? knownId = null)
    {
        string id;
        if (knownId is not null) id = knownId;
        else using (var s = openRaw()) id = TensorHash.Compute(dtype, shape, s).Hex;
        if (Has(id)) return id;
        var size = shape.Aggregate(1L, (a, d) => a * d) * dtype.Size();
        ObjectHeader Header(ObjectCodec codec) => new()
        {
            Kind = ObjectKind.Tensor, DType = dtype.Name(), Shape = shape, Size = size, Codec = codec,
            Chunk = codec is ObjectCodec.ShuffleDeflate or ObjectCodec.XorDeflate or ObjectCodec.LowRank ? ObjectCodecs.ChunkBytes : 0,
        };
        LowRankFactors? factors = null;
        var codecs = new List<ObjectCodec> { ObjectCodec.ShuffleDeflate };
        ObjectHeader? baseHeader = null;
        if (similar is not null && similar != id && Has(similar) && size > 0)
        {
            baseHeader = ReadHeader(similar);
            if (baseHeader.Kind == ObjectKind.Tensor && baseHeader.DType == dtype.Name() && baseHeader.Size == size
                && baseHeader.Depth < ObjectHeader.MaxDepth)
            {
                long changed;
                using (var a = openRaw())
                using (var b = OpenRaw(similar))
                    changed = ObjectCodecs.CountChanged(a, b, dtype.Size(), size);
                var elements = size / dtype.Size();
                // A change pair costs its element plus a 1-3 byte gap; worth it when under a quarter of the elements changed.
                codecs = changed * 4 < elements ? [ObjectCodec.Sparse] : [ObjectCodec.XorDeflate, ObjectCodec.ShuffleDeflate];
                if (changed * 4 >= elements && LowRankCodec.Applies(dtype, shape))
                {
                    factors = LowRankCodec.Factor(dtype, shape, openRaw, () => OpenRaw(similar));
                    if (factors is not null) codecs.Insert(0, ObjectCodec.LowRank);
                }
            }
            else baseHeader = null;
        }
        Write(id, codec => codec is ObjectCodec.Sparse or ObjectCodec.XorDeflate or ObjectCodec.LowRank
                  ? Header(codec) with { Base = similar, Depth = baseHeader!.Depth + 1, Rank = codec == ObjectCodec.LowRank ? factors!.Rank : 0 }
                  : Header(codec),
              codecs, openRaw, baseHeader is null ? null : () => OpenRaw(similar!), dtype.Size(), factors, dtype);
        return id;
    }

    /// <summary>
    /// Encodes with each codec in turn, keeping the first whose payload is under 85 % of the raw size (else the
    /// smallest, or raw bytes when no codec saves anything), then renames it into place. A low-rank encoding is always
    /// compared with the next codec (XOR): its residual may cost more than the factors save.
    /// </summary>
    private void Write(string id, Func<ObjectCodec, ObjectHeader> header, IReadOnlyList<ObjectCodec> codecs,
                       Func<Stream> openRaw, Func<Stream>? openBase, int elementSize, LowRankFactors? factors = null, DType dtype = default)
    {
        Directory.CreateDirectory(TmpFolder);
        string? best = null;
        long bestLength = long.MaxValue;
        long rawSize = header(ObjectCodec.Raw).Size;
        foreach (var codec in codecs.Append(ObjectCodec.Raw))
        {
            if (codec == ObjectCodec.Raw && best is not null && bestLength < rawSize + 64) break;
            var tmp = Path.Combine(TmpFolder, "obj-" + Guid.NewGuid().ToString("N"));
            using (var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                output.Write(header(codec).Encode());
                using var raw = openRaw();
                using var baseRaw = codec is ObjectCodec.XorDeflate or ObjectCodec.Sparse or ObjectCodec.LowRank ? openBase!() : null;
                ObjectCodecs.Encode(codec, elementSize, rawSize, raw, baseRaw, output, factors, dtype);
                output.Flush(flushToDisk: true);
            }
            var length = new FileInfo(tmp).Length;
            if (length < bestLength)
            {
                if (best is not null) File.Delete(best);
                (best, bestLength) = (tmp, length);
            }
            else File.Delete(tmp);
            if (bestLength < rawSize * 0.85 && codec != ObjectCodec.LowRank) break;
        }
        Install(best!, id);
    }

    /// <summary>Moves a finished object file into place; if another writer got there first, keeps theirs.</summary>
    internal void Install(string tmp, string id)
    {
        var target = PathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(tmp, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(tmp);
        }
    }

    /// <summary>Every object id present, by walking the fan-out folders.</summary>
    public IEnumerable<string> All()
    {
        if (!Directory.Exists(ObjectsFolder)) yield break;
        foreach (var dir in Directory.EnumerateDirectories(ObjectsFolder).Order(StringComparer.Ordinal))
        foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileName(dir) + Path.GetFileName(file);
            if (ObjectIds.IsValid(id)) yield return id;
        }
    }

    internal void Delete(string id) => File.Delete(PathOf(id));

    /// <summary>Re-hashes the object's decoded content; null when it is sound, else what is wrong.</summary>
    public string? Check(string id)
    {
        try
        {
            using var raw = OpenRaw(id);
            var header = ReadHeader(id);
            var actual = ObjectIds.OfContent(header, raw);
            return actual == id ? null : $"content hashes to {actual[..12]}";
        }
        catch (CadreException e) { return e.Message; }
        catch (IOException e) { return e.Message; }
    }

    /// <summary>The object's file as stored (header and payload), for copying it into a bundle.</summary>
    public FileStream OpenStored(string id) => OpenFile(id);

    private FileStream OpenFile(string id)
    {
        if (Fallback is not null && !HasLocal(id) && Fallback.Has(id))
            return Fallback.OpenFile(id);
        try
        {
            var path = PathOf(id);
            if (new FileInfo(path).LinkTarget is not null) // never follow a link planted in a store folder
                throw new CadreException($"object {id[..12]} is a symbolic link, not an object file");
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CadreException($"object {id[..12]} is missing from the store");
        }
    }
}
