using System.Globalization;
using System.Text;

namespace Cadre.Store.Git;

/// <summary>
/// Git's pkt-line framing (gitprotocol-common(5)): four hexadecimal digits giving the packet's length including
/// themselves, then the data; <c>0000</c> is a flush packet that ends a list or a content stream. A packet holds at
/// most <see cref="MaxData"/> bytes of data. Text packets end with a line feed, which readers strip.
/// </summary>
public static class PktLine
{
    public const int MaxPacket = 65520;
    public const int MaxData = MaxPacket - 4;
}

/// <summary>What <see cref="PktLineReader.Read"/> met: a data packet, a flush packet, or the end of the stream.</summary>
public enum PacketKind { Data, Flush, End }

/// <summary>Reads pkt-lines; a malformed length or a stream that ends inside a packet is a <see cref="CadreException"/>.</summary>
public sealed class PktLineReader(Stream input)
{
    private readonly byte[] _buffer = new byte[PktLine.MaxData];
    private readonly byte[] _length = new byte[4];

    /// <summary>The data of the last data packet read.</summary>
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(0, DataLength);
    public int DataLength { get; private set; }

    /// <summary>Reads one packet; <see cref="PacketKind.End"/> only when the stream ends exactly between packets.</summary>
    public PacketKind Read()
    {
        DataLength = 0;
        var got = ReadUpTo(_length);
        if (got == 0) return PacketKind.End;
        if (got < 4) throw new CadreException("git filter protocol: the stream ended inside a packet length");
        var text = Encoding.ASCII.GetString(_length);
        if (!int.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length)
            || text.Any(c => !char.IsAsciiHexDigit(c)))
            throw new CadreException($"git filter protocol: bad packet length '{Printable(text)}'");
        if (length == 0) return PacketKind.Flush;
        if (length < 4) throw new CadreException($"git filter protocol: unexpected special packet {text} (only flush packets are used here)");
        if (length > PktLine.MaxPacket) throw new CadreException($"git filter protocol: packet of {length} bytes, more than {PktLine.MaxPacket}");
        DataLength = length - 4;
        if (ReadUpTo(_buffer.AsSpan(0, DataLength)) < DataLength)
            throw new CadreException("git filter protocol: the stream ended inside a packet");
        return PacketKind.Data;
    }

    /// <summary>The next text packet without its line feed; null at a flush packet.</summary>
    public string? ReadText()
    {
        var kind = Read();
        if (kind == PacketKind.End) throw new CadreException("git filter protocol: the stream ended where a text packet or flush was expected");
        if (kind == PacketKind.Flush) return null;
        var data = Data;
        if (data.Length > 0 && data[^1] == (byte)'\n') data = data[..^1];
        return Encoding.UTF8.GetString(data);
    }

    /// <summary>Text packets up to the next flush; null when the stream ends before the first one (git is done).</summary>
    public List<string>? ReadTextList()
    {
        var list = new List<string>();
        while (true)
        {
            var kind = Read();
            if (kind == PacketKind.End)
                return list.Count == 0 ? null : throw new CadreException("git filter protocol: the stream ended inside a list");
            if (kind == PacketKind.Flush) return list;
            var data = Data;
            if (data.Length > 0 && data[^1] == (byte)'\n') data = data[..^1];
            list.Add(Encoding.UTF8.GetString(data));
        }
    }

    /// <summary>Copies data packets to <paramref name="output"/> up to the flush that ends the content.</summary>
    public long CopyContentTo(Stream output)
    {
        long total = 0;
        while (true)
        {
            var kind = Read();
            if (kind == PacketKind.End) throw new CadreException("git filter protocol: the stream ended inside file content");
            if (kind == PacketKind.Flush) return total;
            output.Write(Data);
            total += DataLength;
        }
    }

    private int ReadUpTo(Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = input.Read(buffer[done..]);
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

/// <summary>Writes pkt-lines; <see cref="Flush"/> also flushes the underlying stream so git sees the answer.</summary>
public sealed class PktLineWriter(Stream output)
{
    private readonly byte[] _header = new byte[4];

    public void WriteData(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return; // an empty data packet ("0004") should not be sent
        if (data.Length > PktLine.MaxData) throw new ArgumentException($"a packet holds at most {PktLine.MaxData} bytes");
        Encoding.ASCII.GetBytes((data.Length + 4).ToString("x4", CultureInfo.InvariantCulture), _header);
        output.Write(_header);
        output.Write(data);
    }

    public void WriteText(string text) => WriteData(Encoding.UTF8.GetBytes(text + "\n"));

    public void WriteFlush()
    {
        output.Write("0000"u8);
        output.Flush();
    }

    /// <summary>A stream whose writes become data packets of up to <see cref="PktLine.MaxData"/> bytes.</summary>
    public Stream OpenContent() => new ContentStream(this);

    private sealed class ContentStream(PktLineWriter writer) : Stream
    {
        private readonly byte[] _pending = new byte[PktLine.MaxData];
        private int _count;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (buffer.Length > 0)
            {
                var n = Math.Min(buffer.Length, _pending.Length - _count);
                buffer[..n].CopyTo(_pending.AsSpan(_count));
                _count += n;
                buffer = buffer[n..];
                if (_count == _pending.Length) Flush();
            }
        }

        /// <summary>Sends what is pending as one packet (never a flush packet: the caller ends the content).</summary>
        public override void Flush()
        {
            writer.WriteData(_pending.AsSpan(0, _count));
            _count = 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Flush();
            base.Dispose(disposing);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
