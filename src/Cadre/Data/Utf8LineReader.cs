using System.Text;

namespace Cadre.Data;

/// <summary>
/// Reads a file as lines of strict UTF-8 (a leading BOM is skipped; "\r\n" and "\n" end lines), decoding one line at
/// a time so that an encoding error names its line, and refusing any line longer than <paramref name="maxBytes"/>
/// before it is held in memory.
/// </summary>
public static class Utf8LineReader
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public static IEnumerable<(int Line, string Text)> Read(string path, int maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new MemoryStream();
        var line = 0;
        var first = true;
        int b;
        while (true)
        {
            b = stream.ReadByte();
            if (b == '\n' || b == -1)
            {
                if (b == -1 && buffer.Length == 0)
                    yield break;
                line++;
                var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
                if (first && bytes.StartsWith("\uFEFF"u8))
                    bytes = bytes[3..];
                first = false;
                if (bytes.EndsWith("\r"u8))
                    bytes = bytes[..^1];
                string text;
                try
                {
                    text = Strict.GetString(bytes);
                }
                catch (DecoderFallbackException)
                {
                    throw new CadreException($"{path}:{line}: invalid UTF-8 (save the file as UTF-8)");
                }
                buffer.SetLength(0);
                yield return (line, text);
                if (b == -1)
                    yield break;
                continue;
            }
            if (buffer.Length >= maxBytes)
                throw new CadreException($"{path}:{line + 1}: a line longer than {maxBytes} bytes; is this a text data file?");
            buffer.WriteByte((byte)b);
        }
    }
}
