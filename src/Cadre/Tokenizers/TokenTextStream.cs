using System.Text;

namespace Cadre.Tokenizers;

/// <summary>
/// Turns tokens into text one at a time while generating. A character split over several byte tokens (an emoji is
/// four <c>&lt;0xXX&gt;</c> pieces) is held back until complete, so every chunk handed out is valid text. As in
/// llama2.c, a piece right after BOS loses its leading space (the dummy prefix).
/// </summary>
public sealed class TokenTextStream
{
    private readonly SentencePieceBpeTokenizer _tokenizer;
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly char[] _chars = new char[64];
    private int _previous;

    /// <param name="previousId">The token before the first one appended (the prompt's last, often BOS).</param>
    public TokenTextStream(SentencePieceBpeTokenizer tokenizer, int previousId)
    {
        _tokenizer = tokenizer;
        _previous = previousId;
    }

    /// <summary>Returns the text this token completes; empty while a multi-byte character is still partial.</summary>
    public string Append(int id)
    {
        var surface = _tokenizer.SurfaceOf(id);
        if (_previous == _tokenizer.BosId && _tokenizer.Vocabulary.Pieces[id].Type is PieceType.Normal or PieceType.UserDefined)
            surface = SentencePieceBpeTokenizer.StripLeadingSpace(surface);
        _previous = id;
        return Convert(surface, flush: false);
    }

    /// <summary>Ends the stream: a character left incomplete comes out as U+FFFD.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        var sb = new StringBuilder();
        var completed = false;
        while (!completed)
        {
            _decoder.Convert(bytes, _chars, flush, out var used, out var written, out completed);
            sb.Append(_chars, 0, written);
            bytes = bytes[used..];
        }
        return sb.ToString();
    }
}
