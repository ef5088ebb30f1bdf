using System.Text;

namespace Cadre.Tokenizers;

/// <summary>
/// SentencePiece BPE as Llama models use it (and llama2.c's <c>run.c</c> re-implements it): normalize spaces, add
/// a dummy prefix space, split into characters, fall back to <c>&lt;0xXX&gt;</c> byte pieces for characters outside
/// the vocabulary, then repeatedly merge the adjacent pair whose merged piece has the best score (leftmost on ties).
/// Merging uses a priority queue, so a text of n characters costs O(n log n), not run.c's O(n²).
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITextTokenizer
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
    private readonly byte[][] _surfaces;

    public SentencePieceBpeTokenizer(SentencePieceVocabulary vocabulary, NormalizerOptions normalizer, string unknownSurface = " \u2047 ")
    {
        Vocabulary = vocabulary;
        Normalizer = normalizer;
        _surfaces = vocabulary.Pieces.Select((p, id) => Surface(p, id, unknownSurface)).ToArray();
    }

    public SentencePieceVocabulary Vocabulary { get; }
    public NormalizerOptions Normalizer { get; }
    public int VocabularySize => Vocabulary.Count;
    public int BosId => Vocabulary.BosId;
    public int EosId => Vocabulary.EosId;

    /// <summary>Reads a SentencePiece <c>tokenizer.model</c> or a llama2.c <c>tokenizer.bin</c>, by content.</summary>
    public static SentencePieceBpeTokenizer Load(string path) =>
        Llama2cTokenizerFile.LooksLikeOne(path) ? Llama2cTokenizerFile.Read(path) : SentencePieceModelFile.Read(path);

    /// <summary>Encodes without BOS or EOS, like <c>SentencePieceProcessor.encode</c>.</summary>
    public IReadOnlyList<int> Encode(string text) => Encode(text, addBos: false, addEos: false);

    public IReadOnlyList<int> Encode(string text, bool addBos, bool addEos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addBos)
            ids.Add(RequireSpecial(BosId, "BOS"));
        var normalized = Normalize(text);
        if (normalized.Length > 0)
            new BpeMerger(Vocabulary, normalized).AppendIds(ids);
        if (addEos)
            ids.Add(RequireSpecial(EosId, "EOS"));
        return ids;
    }

    /// <summary>
    /// Decodes like SentencePiece: control tokens vanish, byte pieces join into UTF-8 (invalid sequences become
    /// U+FFFD), and leading spaces are dropped while the text is still empty (the dummy prefix).
    /// </summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            var surface = SurfaceOf(id);
            if (bytes.Count == 0 && Normalizer.AddDummyPrefix && Vocabulary.Pieces[id].Type is PieceType.Normal or PieceType.UserDefined)
                surface = StripLeadingSpace(surface);
            bytes.AddRange(surface);
        }
        return Utf8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// The raw bytes a token stands for: a byte piece's byte, a piece's UTF-8 with spaces for <c>▁</c>, nothing for
    /// control tokens. <see cref="TokenTextStream"/> joins them into text as tokens arrive.
    /// </summary>
    public ReadOnlySpan<byte> SurfaceOf(int id) => id >= 0 && id < _surfaces.Length
        ? _surfaces[id]
        : throw new CadreException($"token id {id} is outside the vocabulary of {_surfaces.Length} pieces");

    internal static ReadOnlySpan<byte> StripLeadingSpace(ReadOnlySpan<byte> surface) =>
        surface.Length > 0 && surface[0] == (byte)' ' ? surface[1..] : surface;

    /// <summary>SentencePiece's identity normalizer: escape spaces as <c>▁</c>, optionally trim, add the dummy prefix.</summary>
    internal string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length + 1);
        var previousWasSpace = Normalizer.RemoveExtraWhitespaces; // drops leading spaces when removing extras
        foreach (var c in text)
        {
            var isSpace = c == ' '; // a literal ▁ is kept, but encodes like a space (as in SentencePiece)
            if (isSpace && previousWasSpace && Normalizer.RemoveExtraWhitespaces)
                continue;
            sb.Append(isSpace ? SentencePieceVocabulary.SpaceSymbol : c);
            previousWasSpace = isSpace;
        }
        while (Normalizer.RemoveExtraWhitespaces && sb.Length > 0 && sb[^1] == SentencePieceVocabulary.SpaceSymbol)
            sb.Length--;
        if (sb.Length == 0)
            return "";
        if (Normalizer.AddDummyPrefix)
            sb.Insert(0, SentencePieceVocabulary.SpaceSymbol);
        return sb.ToString();
    }

    private int RequireSpecial(int id, string what) => id >= 0
        ? id
        : throw new CadreException($"this tokenizer has no {what} token");

    private static byte[] Surface(Piece piece, int id, string unknownSurface) => piece.Type switch
    {
        PieceType.Control or PieceType.Unused => [],
        PieceType.Unknown => Utf8.GetBytes(unknownSurface),
        PieceType.Byte => SentencePieceVocabulary.TryParseByte(piece.Text, out var b)
            ? [b]
            : throw new CadreException($"byte piece {id} is '{piece.Text}'"),
        _ => Utf8.GetBytes(piece.Text.Replace(SentencePieceVocabulary.SpaceSymbol, ' ')),
    };
}
