using System.IO.Compression;

namespace Cadre.Store;

/// <summary>
/// Encodes raw bytes into an object payload and decodes them back, a chunk at a time, so memory stays at a few
/// chunks whatever the object's size. The codecs are described on <see cref="ObjectCodec"/>.
/// </summary>
internal static class ObjectCodecs
{
    /// <summary>1 MiB: a multiple of every element size; large enough that zlib sees whole runs.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Writes the payload of <paramref name="codec"/> for <paramref name="size"/> raw bytes.</summary>
    public static void Encode(ObjectCodec codec, int elementSize, long size, Stream raw, Stream? baseRaw, Stream output,
                              LowRankFactors? factors = null, Tensors.DType dtype = default)
    {
        if (codec == ObjectCodec.Raw)
        {
            CopyExactly(raw, output, size);
            return;
        }
        using var zlib = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true);
        if (codec == ObjectCodec.Deflate)
        {
            CopyExactly(raw, zlib, size);
            return;
        }
        var chunk = new byte[ChunkBytes];
        var other = codec is ObjectCodec.XorDeflate or ObjectCodec.Sparse or ObjectCodec.LowRank ? new byte[ChunkBytes] : null;
        var shuffled = new byte[ChunkBytes];
        var scratch = codec == ObjectCodec.LowRank ? new double[ChunkBytes / elementSize] : null;
        if (codec == ObjectCodec.LowRank) LowRankCodec.WriteFactors(zlib, factors!);
        long gap = 0;
        for (long pos = 0; pos < size; pos += ChunkBytes)
        {
            var n = (int)Math.Min(ChunkBytes, size - pos);
            raw.ReadExactly(chunk, 0, n);
            if (other is not null)
                baseRaw!.ReadExactly(other, 0, n);
            if (codec == ObjectCodec.Sparse)
            {
                gap = WriteChanges(zlib, chunk.AsSpan(0, n), other.AsSpan(0, n), elementSize, gap);
                continue;
            }
            if (codec == ObjectCodec.LowRank)
                LowRankCodec.Reconstruct(dtype, factors!, pos / elementSize, other.AsSpan(0, n), other.AsSpan(0, n), scratch!);
            if (codec is ObjectCodec.XorDeflate or ObjectCodec.LowRank)
                for (var i = 0; i < n; i++) chunk[i] ^= other![i];
            Shuffle(chunk.AsSpan(0, n), shuffled.AsSpan(0, n), elementSize);
            zlib.Write(shuffled, 0, n);
        }
    }

    /// <summary>Counts the elements that differ between two equally long raw streams (to choose a sparse encoding).</summary>
    public static long CountChanged(Stream a, Stream b, int elementSize, long size)
    {
        var x = new byte[ChunkBytes];
        var y = new byte[ChunkBytes];
        long changed = 0;
        for (long pos = 0; pos < size; pos += ChunkBytes)
        {
            var n = (int)Math.Min(ChunkBytes, size - pos);
            a.ReadExactly(x, 0, n);
            b.ReadExactly(y, 0, n);
            for (var i = 0; i < n; i += elementSize)
                if (!x.AsSpan(i, elementSize).SequenceEqual(y.AsSpan(i, elementSize)))
                    changed++;
        }
        return changed;
    }

    /// <summary>(gap, element) pairs: gap = elements skipped since the previous change, as a LEB128 varint.</summary>
    private static long WriteChanges(Stream output, ReadOnlySpan<byte> now, ReadOnlySpan<byte> before, int elementSize, long gap)
    {
        Span<byte> varint = stackalloc byte[10];
        for (var i = 0; i < now.Length; i += elementSize)
        {
            if (now.Slice(i, elementSize).SequenceEqual(before.Slice(i, elementSize)))
            {
                gap++;
                continue;
            }
            output.Write(varint[..WriteVarint(varint, (ulong)gap)]);
            output.Write(now.Slice(i, elementSize));
            gap = 0;
        }
        return gap;
    }

    private static int WriteVarint(Span<byte> buffer, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[n++] = (byte)value;
        return n;
    }

    /// <summary>Byte planes: element i's byte b goes to b·m + i, m elements in the chunk.</summary>
    public static void Shuffle(ReadOnlySpan<byte> input, Span<byte> output, int elementSize)
    {
        if (elementSize == 1) { input.CopyTo(output); return; }
        var m = input.Length / elementSize;
        for (var b = 0; b < elementSize; b++)
        {
            var plane = output.Slice(b * m, m);
            for (int i = 0, j = b; i < m; i++, j += elementSize)
                plane[i] = input[j];
        }
    }

    public static void Unshuffle(ReadOnlySpan<byte> input, Span<byte> output, int elementSize)
    {
        if (elementSize == 1) { input.CopyTo(output); return; }
        var m = input.Length / elementSize;
        for (var b = 0; b < elementSize; b++)
        {
            var plane = input.Slice(b * m, m);
            for (int i = 0, j = b; i < m; i++, j += elementSize)
                output[j] = plane[i];
        }
    }

    internal static void CopyExactly(Stream from, Stream to, long count)
    {
        var buffer = new byte[1 << 16];
        while (count > 0)
        {
            var n = from.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) throw new EndOfStreamException();
            to.Write(buffer, 0, n);
            count -= n;
        }
    }
}

/// <summary>
/// The raw bytes of an object, decoded a chunk at a time from its payload (and its base's raw bytes for a delta).
/// Yields exactly <see cref="ObjectHeader.Size"/> bytes; a payload that ends early, or holds more than that, is a
/// <see cref="CadreException"/>, so a crafted payload cannot expand past its declared size.
/// </summary>
internal sealed class DecodingStream : Stream
{
    private readonly ObjectHeader _header;
    private readonly Stream _payload;
    private readonly Stream? _base;
    private readonly string _what;
    private readonly byte[] _chunk;
    private readonly byte[] _scratch;
    private int _chunkLength, _chunkPos;
    private long _produced;
    private long _pendingGap = -1; // sparse: elements until the next change; -1 = read the next pair
    private LowRankFactors? _factors; // low rank: read from the payload before the first chunk
    private double[]? _values;

    public DecodingStream(ObjectHeader header, Stream payload, Stream? baseRaw, string what)
    {
        _header = header;
        _what = what;
        _payload = header.Codec == ObjectCodec.Raw ? payload : new ZLibStream(payload, CompressionMode.Decompress);
        _base = baseRaw;
        var chunk = header.Codec is ObjectCodec.ShuffleDeflate or ObjectCodec.XorDeflate or ObjectCodec.LowRank ? header.Chunk : ObjectCodecs.ChunkBytes;
        _chunk = new byte[(int)Math.Min(chunk, Math.Max(header.Size, 1))];
        _scratch = header.Codec is ObjectCodec.ShuffleDeflate or ObjectCodec.XorDeflate or ObjectCodec.Sparse or ObjectCodec.LowRank ? new byte[_chunk.Length] : [];
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_chunkPos == _chunkLength && !Fill())
            return 0;
        var n = Math.Min(buffer.Length, _chunkLength - _chunkPos);
        _chunk.AsSpan(_chunkPos, n).CopyTo(buffer);
        _chunkPos += n;
        return n;
    }

    private bool Fill()
    {
        if (_produced == _header.Size)
        {
            if (_payload.ReadByte() >= 0)
                throw new CadreException($"{_what}: payload holds more than the declared {_header.Size} bytes");
            return false;
        }
        var n = (int)Math.Min(_chunk.Length, _header.Size - _produced);
        var es = _header.ElementSize;
        try
        {
            switch (_header.Codec)
            {
                case ObjectCodec.Raw or ObjectCodec.Deflate:
                    _payload.ReadExactly(_chunk, 0, n);
                    break;
                case ObjectCodec.ShuffleDeflate or ObjectCodec.XorDeflate:
                    _payload.ReadExactly(_scratch, 0, n);
                    ObjectCodecs.Unshuffle(_scratch.AsSpan(0, n), _chunk.AsSpan(0, n), es);
                    if (_header.Codec == ObjectCodec.XorDeflate)
                    {
                        _base!.ReadExactly(_scratch, 0, n);
                        for (var i = 0; i < n; i++) _chunk[i] ^= _scratch[i];
                    }
                    break;
                case ObjectCodec.Sparse:
                    _base!.ReadExactly(_chunk, 0, n);
                    ApplyChanges(n, es);
                    break;
                case ObjectCodec.LowRank:
                    _factors ??= LowRankCodec.ReadFactors(_payload, _header.Rank, _header.Shape![0], _header.Shape[1]);
                    _values ??= new double[_chunk.Length / es];
                    _payload.ReadExactly(_scratch, 0, n);
                    ObjectCodecs.Unshuffle(_scratch.AsSpan(0, n), _chunk.AsSpan(0, n), es);
                    _base!.ReadExactly(_scratch, 0, n);
                    LowRankCodec.Reconstruct(_header.TensorDType, _factors, _produced / es, _scratch.AsSpan(0, n), _scratch.AsSpan(0, n), _values);
                    for (var i = 0; i < n; i++) _chunk[i] ^= _scratch[i];
                    break;
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            throw new CadreException($"{_what}: corrupt payload ({e.Message})");
        }
        _produced += n;
        _chunkLength = n;
        _chunkPos = 0;
        return true;
    }

    private void ApplyChanges(int n, int es)
    {
        var elements = n / es;
        var i = 0;
        while (true)
        {
            if (_pendingGap < 0)
            {
                if (!TryReadVarint(out var gap)) return; // no more changes
                _pendingGap = gap;
            }
            if (i + _pendingGap >= elements)
            {
                _pendingGap -= elements - i;
                return;
            }
            i += (int)_pendingGap;
            _payload.ReadExactly(_chunk, i * es, es);
            i++;
            _pendingGap = -1;
        }
    }

    private bool TryReadVarint(out long value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = _payload.ReadByte();
            if (b < 0)
            {
                if (shift == 0) return false;
                throw new EndOfStreamException("truncated varint");
            }
            value |= (long)(b & 0x7f) << shift;
            if (b < 0x80) return value >= 0 ? true : throw new InvalidDataException("varint out of range");
        }
        throw new InvalidDataException("varint too long");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _payload.Dispose();
            _base?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _header.Size;
    public override long Position { get => _produced - (_chunkLength - _chunkPos); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
