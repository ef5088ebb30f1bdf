using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Cadre.Tensors;

/// <summary>
/// A safetensors file opened lazily: opening reads and validates only the header; the data is memory-mapped and a
/// tensor's bytes are touched only when asked for. Tensors handed out are copies that the caller owns, so nothing
/// aliases the map after <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafetensorsReader : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private readonly Dictionary<string, TensorInfo> _byName;

    private SafetensorsReader(string path, IReadOnlyList<TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata,
                              long dataStart, long fileLength)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        if (fileLength > dataStart)
        {
            _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            byte* start = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            _data = start + _view.PointerOffset + dataStart;
        }
    }

    public string Path { get; }
    public IReadOnlyList<TensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/>, validating its header; a malformed file is a <see cref="CadreException"/>.</summary>
    public static SafetensorsReader Open(string path)
    {
        if (!File.Exists(path))
            throw new CadreException($"{path}: file not found");
        long fileLength;
        byte[] header;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            fileLength = stream.Length;
            if (fileLength < 8)
                throw SafetensorsHeader.Error(path, $"file has {fileLength} bytes, fewer than the 8-byte header length");
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            var n = BitConverter.ToUInt64(lengthBytes);
            if (n > SafetensorsHeader.MaxHeaderBytes)
                throw SafetensorsHeader.Error(path, $"header length {n} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
            if ((long)n > fileLength - 8)
                throw SafetensorsHeader.Error(path, $"header length {n} runs past the end of the {fileLength}-byte file (truncated?)");
            header = new byte[n]; // bounded by the file's size and the limit above
            stream.ReadExactly(header);
        }
        var dataStart = 8 + header.LongLength;
        var (tensors, metadata) = SafetensorsHeader.Parse(header, fileLength - dataStart, path);
        return new SafetensorsReader(path, tensors, metadata, dataStart, fileLength);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorInfo Info(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new CadreException($"{Path}: no tensor named '{name}'");

    /// <summary>The tensor's raw little-endian bytes, straight from the map; valid until this reader is disposed.</summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        var info = Info(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return info.ByteLength == 0 ? [] : new ReadOnlySpan<byte>(_data + info.Begin, checked((int)info.ByteLength));
    }

    /// <summary>A stream over the tensor's bytes (for tensors above 2 GiB, which a span cannot hold).</summary>
    public Stream OpenRead(string name)
    {
        var info = Info(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return info.ByteLength == 0 ? new MemoryStream([], false) : new UnmanagedMemoryStream(_data + info.Begin, info.ByteLength);
    }

    /// <summary>Copies the tensor into a new CPU tensor that the caller owns (and disposes).</summary>
    public Tensor ReadTensor(string name)
    {
        var info = Info(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = empty(info.Shape, info.DType.ToScalarType());
        if (info.ByteLength > 0)
        {
            var target = result.bytes; // the new tensor's own storage, contiguous
            if (target.Length != info.ByteLength)
            {
                result.Dispose();
                throw new InvalidOperationException($"tensor storage of {target.Length} bytes for {info.ByteLength}");
            }
            new ReadOnlySpan<byte>(_data + info.Begin, checked((int)info.ByteLength)).CopyTo(target);
        }
        return result;
    }

    /// <summary>The per-tensor SHA-256 (see <see cref="TensorHash"/>), computed from the mapped bytes.</summary>
    public string Hash(string name)
    {
        var info = Info(name);
        using var stream = OpenRead(name);
        return TensorHash.Compute(info.DType, info.Shape, stream);
    }

    private bool _disposed;

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
