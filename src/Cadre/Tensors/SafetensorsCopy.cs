namespace Cadre.Tensors;

/// <summary>
/// Copies a safetensors file from outside into CADRE_HOME, trusting only its validated header: exactly
/// <c>8 + header length + the data end offset</c> bytes are copied, a file longer or shorter than that is an error,
/// and every float tensor is checked for NaN and infinite values chunk by chunk as it streams past (memory stays
/// bounded by one buffer, whatever the file's size). Errors name <c>shown</c>, the user's path, not the copy's.
/// </summary>
public static class SafetensorsCopy
{
    private const int BufferBytes = 1 << 20; // a multiple of every element size

    /// <summary>The bytes the file's header declares (validated against the file's length: equal, or an error).</summary>
    public static long DeclaredLength(string source, string shown)
    {
        using var stream = Open(source, shown);
        return Declared(stream, shown).Length;
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/> (a new file); returns the bytes copied.</summary>
    public static long Copy(string source, string target, string shown)
    {
        using var input = Open(source, shown);
        var (length, tensors) = Declared(input, shown);
        var dataStart = input.Position;
        using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferBytes);
        input.Position = 0;
        CopyExactly(input, output, dataStart, shown, length);
        var buffer = new byte[BufferBytes];
        foreach (var t in tensors) // sorted by offset and tiling the data buffer, so the walk is sequential
        {
            for (long done = 0; done < t.ByteLength;)
            {
                var n = (int)Math.Min(buffer.Length, t.ByteLength - done);
                ReadExactly(input, buffer.AsSpan(0, n), shown, length);
                var bad = FiniteValues.FirstNonFinite(t.DType, buffer.AsSpan(0, n));
                if (bad >= 0)
                    throw NonFinite(shown, t.Name, done / t.DType.Size() + bad, t.ElementCount);
                output.Write(buffer, 0, n);
                done += n;
            }
        }
        if (input.ReadByte() >= 0)
            throw new CadreException($"{shown}: grew past the {length:N0} bytes its header declares while it was copied");
        output.Flush(flushToDisk: true);
        return length;
    }

    /// <summary>The error for a NaN or infinity at element <paramref name="index"/> of <paramref name="tensor"/>.</summary>
    public static CadreException NonFinite(string shown, string tensor, long index, long count) =>
        new($"{shown}: tensor '{CadreException.Shown(tensor)}' holds a NaN or infinite value (element {index:N0} of {count:N0}); Cadre refuses non-finite weights");

    private static FileStream Open(string source, string shown)
    {
        try
        {
            return new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CadreException($"{shown}: cannot open ({e.Message})");
        }
    }

    /// <summary>Reads and validates the header; leaves the stream at the first data byte.</summary>
    private static (long Length, IReadOnlyList<TensorInfo> Tensors) Declared(FileStream stream, string shown)
    {
        var (header, fileLength) = SafetensorsReader.ReadHeader(stream, shown);
        var dataStart = 8 + header.LongLength;
        // Parse requires the tensors to tile the file's data exactly: bytes past the declared end are an error there.
        var (tensors, _) = SafetensorsHeader.Parse(header, fileLength - dataStart, shown);
        return (dataStart + (tensors.Count == 0 ? 0 : tensors.Max(t => t.End)), tensors);
    }

    private static void CopyExactly(Stream input, Stream output, long count, string shown, long length)
    {
        var buffer = new byte[(int)Math.Min(BufferBytes, Math.Max(count, 1))];
        for (var left = count; left > 0;)
        {
            var n = (int)Math.Min(buffer.Length, left);
            ReadExactly(input, buffer.AsSpan(0, n), shown, length);
            output.Write(buffer, 0, n);
            left -= n;
        }
    }

    private static void ReadExactly(Stream input, Span<byte> buffer, string shown, long length)
    {
        try
        {
            input.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new CadreException($"{shown}: ends before the {length:N0} bytes its header declares (truncated while it was copied?)");
        }
    }
}
