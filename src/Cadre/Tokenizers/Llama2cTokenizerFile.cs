using System.Text;

namespace Cadre.Tokenizers;

/// <summary>
/// llama2.c's <c>tokenizer.bin</c> (made by its <c>tokenizer.py</c> from a SentencePiece model): int32
/// max_token_length, then per token float32 score, int32 byte length, UTF-8 bytes, little-endian, until the end of
/// the file. Spaces stand for <c>▁</c>; BOS and EOS read <c>"\n&lt;s&gt;\n"</c> and <c>"\n&lt;/s&gt;\n"</c>.
/// The file keeps no normalizer settings, so encoding follows run.c: a dummy prefix and no whitespace removal.
/// </summary>
public static class Llama2cTokenizerFile
{
    private const string Bos = "\n<s>\n";
    private const string Eos = "\n</s>\n";
    private const string Unknown = "<unk>";

    public static SentencePieceBpeTokenizer Read(string path)
    {
        var bytes = ReadAll(path);
        var pieces = Parse(bytes, path, out var error) ?? throw new CadreException(error!);
        var ids = (unk: IndexOf(pieces, Unknown, 0), bos: IndexOf(pieces, Bos, 1), eos: IndexOf(pieces, Eos, 2));
        var vocabulary = new SentencePieceVocabulary(pieces, ids.unk, ids.bos, ids.eos);
        return new SentencePieceBpeTokenizer(vocabulary, new NormalizerOptions(AddDummyPrefix: true, RemoveExtraWhitespaces: false));
    }

    /// <summary>True when the whole file parses as this format (a SentencePiece protobuf never does).</summary>
    public static bool LooksLikeOne(string path) => File.Exists(path) && Parse(ReadAll(path), path, out _) is not null;

    private static byte[] ReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CadreException($"{path}: cannot read the tokenizer ({e.Message})", e);
        }
    }

    private static List<Piece>? Parse(byte[] bytes, string path, out string? error)
    {
        var span = bytes.AsSpan();
        error = null;
        if (span.Length < 4)
            return Fail($"{path}: too short for a llama2.c tokenizer (no max_token_length)", out error);
        var maxLength = BitConverter.ToInt32(span[..4]);
        if (maxLength <= 0 || maxLength > 1 << 16)
            return Fail($"{path}: max_token_length {maxLength} is not plausible for a llama2.c tokenizer", out error);
        var pieces = new List<Piece>();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        for (var offset = 4; offset < span.Length;)
        {
            if (offset + 8 > span.Length)
                return Fail($"{path}: token {pieces.Count} is truncated at byte {offset}", out error);
            var score = BitConverter.ToSingle(span.Slice(offset, 4));
            var length = BitConverter.ToInt32(span.Slice(offset + 4, 4));
            offset += 8;
            if (length < 0 || length > maxLength || offset + length > span.Length)
                return Fail($"{path}: token {pieces.Count} has length {length} (max_token_length {maxLength}, {span.Length - offset} bytes left)", out error);
            string text;
            try
            {
                text = strict.GetString(span.Slice(offset, length));
            }
            catch (DecoderFallbackException)
            {
                return Fail($"{path}: token {pieces.Count} is not valid UTF-8", out error);
            }
            offset += length;
            pieces.Add(ToPiece(text, score));
        }
        return pieces.Count > 0 ? pieces : Fail($"{path}: holds no tokens", out error);
    }

    private static Piece ToPiece(string text, float score) => text switch
    {
        Bos or Eos => new Piece(text, score, PieceType.Control),
        Unknown => new Piece(text, score, PieceType.Unknown),
        _ when SentencePieceVocabulary.TryParseByte(text, out _) => new Piece(text, score, PieceType.Byte),
        _ => new Piece(text.Replace(' ', SentencePieceVocabulary.SpaceSymbol), score, PieceType.Normal),
    };

    private static int IndexOf(List<Piece> pieces, string text, int fallback)
    {
        var index = pieces.FindIndex(p => p.Text == text);
        return index >= 0 ? index : Math.Min(fallback, pieces.Count - 1);
    }

    private static List<Piece>? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }
}
