namespace Cadre.Tokenizers;

/// <summary>The kinds of SentencePiece pieces (the numbers are <c>ModelProto.SentencePiece.Type</c>'s).</summary>
public enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry. <see cref="Text"/> keeps SentencePiece's <c>▁</c> (U+2581) for a space.</summary>
public readonly record struct Piece(string Text, float Score, PieceType Type);

/// <summary>
/// What a SentencePiece normalizer does before BPE. Only the <c>identity</c> rule (every Llama tokenizer) is
/// supported: character maps such as <c>nmt_nfkc</c> are refused when the model is read, never silently skipped.
/// </summary>
/// <param name="AddDummyPrefix">Prepend one space, so a word at the start encodes like one mid-text.</param>
/// <param name="RemoveExtraWhitespaces">Drop leading and trailing spaces and collapse runs of spaces.</param>
public sealed record NormalizerOptions(bool AddDummyPrefix = true, bool RemoveExtraWhitespaces = false);

/// <summary>A validated vocabulary: pieces by id, the ids of the special tokens and the byte-fallback table.</summary>
public sealed class SentencePieceVocabulary
{
    public const char SpaceSymbol = '\u2581';

    private readonly Dictionary<string, int> _mergeable = new(StringComparer.Ordinal);
    private readonly int[] _byteIds = new int[256];

    public SentencePieceVocabulary(IReadOnlyList<Piece> pieces, int unknownId, int bosId, int eosId)
    {
        if (pieces.Count == 0)
            throw new CadreException("tokenizer vocabulary is empty");
        Pieces = pieces;
        UnknownId = CheckId(unknownId, "unk_id");
        BosId = bosId < 0 ? -1 : CheckId(bosId, "bos_id");
        EosId = eosId < 0 ? -1 : CheckId(eosId, "eos_id");
        Array.Fill(_byteIds, -1);
        var userDefined = new List<string>();
        for (var id = 0; id < pieces.Count; id++)
        {
            var piece = pieces[id];
            switch (piece.Type)
            {
                case PieceType.Normal:
                    _mergeable.TryAdd(piece.Text, id); // the first id wins, as in SentencePiece
                    break;
                case PieceType.UserDefined:
                    _mergeable.TryAdd(piece.Text, id);
                    userDefined.Add(piece.Text);
                    break;
                case PieceType.Byte when TryParseByte(piece.Text, out var b):
                    _byteIds[b] = id;
                    break;
                case PieceType.Byte:
                    throw new CadreException($"tokenizer piece {id} is a byte piece but reads '{piece.Text}', not <0xXX>");
                default:
                    break;
            }
        }
        HasByteFallback = _byteIds.All(i => i >= 0);
        UserDefined = userDefined.OrderByDescending(s => s.Length).ToArray(); // longest match first
    }

    public IReadOnlyList<Piece> Pieces { get; }
    public int Count => Pieces.Count;
    public int UnknownId { get; }
    public int BosId { get; }
    public int EosId { get; }

    /// <summary>True when all 256 <c>&lt;0xXX&gt;</c> pieces exist, so no text ever needs the unknown token.</summary>
    public bool HasByteFallback { get; }

    /// <summary>User-defined pieces, longest first: they are matched whole before BPE and never merged.</summary>
    internal IReadOnlyList<string> UserDefined { get; }

    /// <summary>The id of a normal or user-defined piece; control, unknown and byte pieces never match text.</summary>
    public bool TryGetMergeable(string text, out int id) => _mergeable.TryGetValue(text, out id);

    /// <summary>The id of the <c>&lt;0xXX&gt;</c> piece for <paramref name="value"/>, or -1.</summary>
    public int ByteId(byte value) => _byteIds[value];

    internal static bool TryParseByte(string text, out byte value)
    {
        value = 0;
        return text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    private int CheckId(int id, string field) => id >= 0 && id < Pieces.Count
        ? id
        : throw new CadreException($"tokenizer {field} = {id} is outside the vocabulary of {Pieces.Count} pieces");
}
