using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using static TorchSharp.torch;

namespace Cadre.Tensors;

/// <summary>
/// A safetensors file opened lazily: <see cref="Open"/> reads and validates only the header; the data is memory-mapped
/// and a tensor's bytes are touched (paged in) only when asked for. Tensors handed out are copies that the caller owns,
/// so nothing aliases the map after <see cref="Dispose"/>. Reads may run concurrently; Dispose must not race them.
/// Like every memory-mapped reader, it assumes nobody truncates the file in place while it is open (Cadre's writer
/// replaces files by rename, which leaves an open map intact).
/// </summary>
public sealed unsafe class SafetensorsReader : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private readonly long _dataOffsetInView;
    private readonly Dictionary<string, TensorInfo> _byName;
    private bool _disposed;

    private SafetensorsReader(string path, FileStream stream, IReadOnlyList<TensorInfo> tensors,
                              IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        if (stream.Length == dataStart)
        {
            stream.Dispose(); // no data (only empty tensors): nothing to map, and a zero-length map is an error
            return;
        }
        // Mapped from the stream whose header was validated, so a file renamed over the path meanwhile cannot slip in.
        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* start = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        _dataOffsetInView = _view.PointerOffset + dataStart;
        _data = start + _dataOffsetInView;
    }

    public string Path { get; }

    /// <summary>Every tensor's header entry, in file (offset) order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/> and validates its header; a missing or malformed file is a <see cref="CadreException"/>.</summary>
    public static SafetensorsReader Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CadreException($"{path}: file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CadreException($"{path}: cannot open ({e.Message})");
        }
        try
        {
            var (header, fileLength) = ReadHeader(stream, path);
            var dataStart = 8 + header.LongLength;
            var (tensors, metadata) = SafetensorsHeader.Parse(header, fileLength - dataStart, path);
            return new SafetensorsReader(path, stream, tensors, metadata, dataStart);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the length prefix and the header, refusing a length beyond the limit or the file before allocating.</summary>
    internal static (byte[] Header, long FileLength) ReadHeader(FileStream stream, string path)
    {
        var fileLength = stream.Length;
        if (fileLength < 8)
            throw SafetensorsHeader.Error(path, $"file has {fileLength} bytes, fewer than the 8-byte header length (truncated?)");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > SafetensorsHeader.MaxHeaderBytes)
            throw SafetensorsHeader.Error(path, $"header length {n} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
        if ((long)n > fileLength - 8)
            throw SafetensorsHeader.Error(path, $"header length {n} runs past the end of the {fileLength}-byte file (truncated?)");
        var header = new byte[n]; // bounded by the file's size and the limit above
        stream.ReadExactly(header);
        return (header, fileLength);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorInfo Info(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new CadreException($"{Path}: no tensor named '{CadreException.Shown(name)}'");

    /// <summary>
    /// The tensor's raw little-endian bytes, straight from the map (no copy). The span is valid only until this reader
    /// is disposed. Tensors above 2 GiB do not fit a span: use <see cref="OpenRead"/> for those.
    /// </summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        var info = Live(name);
        if (info.ByteLength > int.MaxValue)
            throw new CadreException($"{Path}: tensor '{name}' has {info.ByteLength} bytes, too many for one span; read it with OpenRead");
        return Mapped(info.Begin, (int)info.ByteLength);
    }

    /// <summary>
    /// A read-only stream over the tensor's bytes in the map, for any size. The caller disposes it; reading from it
    /// after this reader is disposed throws <see cref="ObjectDisposedException"/> rather than touching unmapped memory.
    /// </summary>
    public Stream OpenRead(string name)
    {
        var info = Live(name);
        return info.ByteLength == 0
            ? new MemoryStream([], writable: false)
            : new UnmanagedMemoryStream(_view!.SafeMemoryMappedViewHandle, _dataOffsetInView + info.Begin, info.ByteLength, FileAccess.Read);
    }

    /// <summary>Copies the tensor into a new contiguous CPU tensor that the caller owns (and disposes).</summary>
    public Tensor ReadTensor(string name)
    {
        var info = Live(name);
        using var scope = NewDisposeScope();
        var result = empty(info.Shape, info.DType.ToScalarType()); // (shape...), contiguous
        if (result.numel() * result.element_size() != info.ByteLength)
            throw new InvalidOperationException($"TorchSharp made {result.numel() * result.element_size()} bytes for {info.ByteLength}");
        TensorBytes.ForEachChunk(result, (offset, target) => Mapped(info.Begin + offset, target.Length).CopyTo(target));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The tensor's <see cref="TensorHash"/>, hashed in place from the map: no copy of the tensor is made.</summary>
    public TensorHash Hash(string name)
    {
        var info = Live(name);
        using var hash = TensorHash.Start(info.DType, info.Shape);
        for (long offset = 0; offset < info.ByteLength; offset += TensorBytes.ChunkBytes)
            hash.AppendData(Mapped(info.Begin + offset, (int)Math.Min(TensorBytes.ChunkBytes, info.ByteLength - offset)));
        return TensorHash.Finish(hash);
    }

    /// <summary>
    /// The index of the tensor's first NaN or infinite element, or -1 when every element is finite (always for integer
    /// dtypes). Read in place from the map, a chunk at a time: no copy of the tensor is made.
    /// </summary>
    public long FirstNonFinite(string name)
    {
        var info = Live(name);
        if (!FiniteValues.IsFloat(info.DType))
            return -1;
        var size = info.DType.Size();
        var chunk = TensorBytes.ChunkBytes / size * size; // whole elements per chunk
        for (long offset = 0; offset < info.ByteLength; offset += chunk)
        {
            var found = FiniteValues.FirstNonFinite(info.DType, Mapped(info.Begin + offset, (int)Math.Min(chunk, info.ByteLength - offset)));
            if (found >= 0)
                return offset / size + found;
        }
        return -1;
    }

    private TensorInfo Live(string name)
    {
        var info = Info(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return info;
    }

    private ReadOnlySpan<byte> Mapped(long offset, int length) =>
        length == 0 ? [] : new ReadOnlySpan<byte>(_data + offset, length);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
