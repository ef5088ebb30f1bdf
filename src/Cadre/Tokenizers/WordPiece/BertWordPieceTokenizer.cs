using System.Text;
using MlWordPiece = Microsoft.ML.Tokenizers.WordPieceTokenizer;
using MlWordPieceOptions = Microsoft.ML.Tokenizers.WordPieceOptions;

namespace Cadre.Tokenizers.WordPiece;

/// <summary>
/// The tokenizer of BERT-family checkpoints, matching Hugging Face's <c>BertTokenizer</c>: special tokens written
/// in the text are kept whole, the rest goes through BERT's basic tokenization (<see cref="BasicTokenizer"/>)
/// and then greedy longest-match-first WordPiece (Microsoft.ML.Tokenizers' <c>WordPieceTokenizer</c>, given one
/// word at a time). Sequences are <c>[CLS] a [SEP]</c> or <c>[CLS] a [SEP] b [SEP]</c>, truncated to
/// <see cref="WordPieceSettings.MaxLength"/>.
/// </summary>
public sealed class BertWordPieceTokenizer : ITextTokenizer
{
    private readonly MlWordPiece _wordPiece;
    private readonly BasicTokenizer? _basic;
    private readonly string[] _tokens;
    private readonly (string Token, int Id)[] _specials;

    private BertWordPieceTokenizer(string[] vocabulary, WordPieceSettings settings, string source)
    {
        var errors = settings.Validate();
        if (errors.Count > 0)
            throw new CadreException(string.Join("\n", errors));
        Settings = settings;
        _tokens = vocabulary;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Length; i++)
            if (vocabulary[i].Length > 0)
                ids[vocabulary[i]] = i; // a repeated token keeps its last id, as Hugging Face's load_vocab does
        int Require(string token, string field) => ids.TryGetValue(token, out var id) ? id
            : throw new CadreException($"{source}: {field} '{token}' is not in the vocabulary");
        UnknownId = Require(settings.UnknownToken, "unk_token");
        ClassificationId = Require(settings.ClassificationToken, "cls_token");
        SeparatorId = Require(settings.SeparatorToken, "sep_token");
        PaddingId = Require(settings.PaddingToken, "pad_token");
        MaskId = ids.TryGetValue(settings.MaskToken, out var mask) ? mask : -1;
        _specials = settings.SpecialTokens.Distinct().Where(ids.ContainsKey).Select(t => (t, ids[t]))
            .OrderByDescending(s => s.t.Length).ToArray();
        _basic = settings.DoBasicTokenize
            ? new BasicTokenizer(settings.DoLowerCase, settings.EffectiveStripAccents, settings.TokenizeChineseChars)
            : null;
        _wordPiece = MlWordPiece.Create(VocabularyStream(vocabulary, ids), new MlWordPieceOptions
        {
            UnknownToken = settings.UnknownToken,
            ContinuingSubwordPrefix = "##",
            // Our own check counts code points, as Hugging Face does; this one counts UTF-16 units, so it must
            // never fire first.
            MaxInputCharsPerWord = 2 * settings.MaxInputCharsPerWord,
            SpecialTokens = _specials.ToDictionary(s => s.Token, s => s.Id),
        });
    }

    public WordPieceSettings Settings { get; }

    public int VocabularySize => _tokens.Length;
    public int UnknownId { get; }
    public int ClassificationId { get; }
    public int SeparatorId { get; }
    public int PaddingId { get; }

    /// <summary>The id of the mask token, or -1 when the vocabulary has none.</summary>
    public int MaskId { get; }

    /// <summary>Loads a Hugging Face tokenizer folder (<c>vocab.txt</c> or <c>tokenizer.json</c>, and configs).</summary>
    public static BertWordPieceTokenizer Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new CadreException($"{directory}: tokenizer folder not found");
        var settings = WordPieceFiles.ReadSettings(directory);
        var source = File.Exists(Path.Combine(directory, "vocab.txt")) ? "vocab.txt" : "tokenizer.json";
        return new BertWordPieceTokenizer(WordPieceFiles.ReadVocabulary(directory), settings, source);
    }

    /// <summary>Builds a tokenizer from a vocabulary (one token per id) and explicit settings.</summary>
    public static BertWordPieceTokenizer Create(IReadOnlyList<string> vocabulary, WordPieceSettings settings) =>
        new([.. vocabulary], settings, "vocabulary");

    /// <summary>The WordPiece tokens of <paramref name="text"/>, without [CLS]/[SEP] or truncation.</summary>
    public IReadOnlyList<string> Tokenize(string text) => [.. EncodePieces(text).Select(id => _tokens[id])];

    /// <summary><c>[CLS] text [SEP]</c> ids, truncated to <see cref="WordPieceSettings.MaxLength"/>.</summary>
    public IReadOnlyList<int> Encode(string text) => Encode(text, null).Ids;

    /// <summary>
    /// Ids and segment ids of <c>[CLS] text [SEP]</c>, or <c>[CLS] text [SEP] pair [SEP]</c> with the pair as
    /// segment 1. Over <paramref name="maxLength"/> (default: the settings'), tokens come off the end of the longer
    /// part one at a time, the pair's first on a tie ("longest_first").
    /// </summary>
    public EncodedText Encode(string text, string? pair, int? maxLength = null)
    {
        var max = maxLength ?? Settings.MaxLength;
        var specials = pair is null ? 2 : 3;
        if (max < specials)
            throw new ArgumentOutOfRangeException(nameof(maxLength), max, $"must leave room for {specials} special tokens");
        var a = EncodePieces(text);
        var b = pair is null ? null : EncodePieces(pair);
        var excess = a.Count + (b?.Count ?? 0) + specials - max;
        for (; excess > 0; excess--)
        {
            var fromA = b is null || a.Count > b.Count;
            var from = fromA ? a : b!;
            from.RemoveAt(from.Count - 1);
        }
        var ids = new List<int>(a.Count + (b?.Count ?? 0) + specials) { ClassificationId };
        ids.AddRange(a);
        ids.Add(SeparatorId);
        var types = Enumerable.Repeat(0, ids.Count).ToList();
        if (b is not null)
        {
            ids.AddRange(b);
            ids.Add(SeparatorId);
            types.AddRange(Enumerable.Repeat(1, b.Count + 1));
        }
        return new EncodedText(ids, types);
    }

    /// <summary>Encodes texts and pads them to the longest (right padding, pad id, mask 0).</summary>
    public EncodedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null) =>
        EncodedBatch.Pad([.. texts.Select(t => Encode(t, null, maxLength))], PaddingId);

    /// <summary>Joins word pieces back into text, leaving out special tokens (spacing is approximate).</summary>
    public string Decode(IEnumerable<int> ids) => _wordPiece.Decode(ids, skipSpecialTokens: true);

    private List<int> EncodePieces(string text)
    {
        var ids = new List<int>();
        var words = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var special = MatchSpecial(text, i);
            if (special is null)
                continue;
            EncodeOrdinary(text[start..i], ids, words);
            ids.Add(special.Value.Id);
            i += special.Value.Token.Length - 1;
            start = i + 1;
        }
        EncodeOrdinary(text[start..], ids, words);
        return ids;
    }

    /// <summary>Special tokens match verbatim and case-sensitively (added tokens with normalized=false in HF).</summary>
    private (string Token, int Id)? MatchSpecial(string text, int index)
    {
        foreach (var special in _specials)
            if (string.CompareOrdinal(text, index, special.Token, 0, special.Token.Length) == 0)
                return special;
        return null;
    }

    private void EncodeOrdinary(string text, List<int> ids, List<string> words)
    {
        if (text.Length == 0)
            return;
        words.Clear();
        if (_basic is null)
            words.AddRange(BasicTokenizer.SplitOnWhitespace(text));
        else
            _basic.Split(text, words);
        foreach (var word in words)
        {
            if (word.EnumerateRunes().Count() > Settings.MaxInputCharsPerWord)
                ids.Add(UnknownId);
            else
                ids.AddRange(_wordPiece.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }

    /// <summary>
    /// vocab.txt for Microsoft.ML.Tokenizers, which numbers lines and rejects repeats: earlier copies of a repeated
    /// token become blank lines, which it skips while keeping the numbering.
    /// </summary>
    private static MemoryStream VocabularyStream(string[] vocabulary, Dictionary<string, int> ids)
    {
        var builder = new StringBuilder(vocabulary.Length * 8);
        for (var i = 0; i < vocabulary.Length; i++)
            builder.Append(ids.TryGetValue(vocabulary[i], out var id) && id == i ? vocabulary[i] : string.Empty).Append('\n');
        return new MemoryStream(Encoding.UTF8.GetBytes(builder.ToString()));
    }
}
