using System.Security.Cryptography;
using System.Text;

namespace Cadre.Store;

/// <summary>A read-only stream over <c>[offset, offset + length)</c> of a file, read with plain buffered reads.</summary>
internal sealed class FileRange : Stream
{
    private readonly FileStream _file;
    private readonly long _length;
    private long _position;

    private FileRange(FileStream file, long length)
    {
        _file = file;
        _length = length;
    }

    public static Stream Open(string path, long offset, long length)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (offset + length > file.Length)
        {
            file.Dispose();
            throw new CadreException($"{path}: shorter than its header says (changed while being stored?)");
        }
        file.Seek(offset, SeekOrigin.Begin);
        return new FileRange(file, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, _length - _position);
        if (n <= 0) return 0;
        n = _file.Read(buffer[..n]);
        if (n == 0) throw new CadreException($"{_file.Name}: ended early (changed while being stored?)");
        _position += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A write-only stream that keeps only the blob id (<see cref="ObjectIds.OfBlob(Stream)"/>) of what passed through.</summary>
internal sealed class HashingSink : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string? _hex;
    private long _length;

    public HashingSink() => _hash.AppendData(Encoding.ASCII.GetBytes("cadre-blob-v1\0"));

    public string Hex => _hex ??= Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_hex is not null) throw new InvalidOperationException("hash already taken");
        _hash.AppendData(buffer);
        _length += buffer.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
