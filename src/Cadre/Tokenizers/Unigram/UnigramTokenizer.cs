using System.Text;
using System.Text.Json;

namespace Cadre.Tokenizers.Unigram;

/// <summary>
/// SentencePiece unigram tokenization as USE-lite's reference does it (TF.js models' tokenizer): NFKC, spaces become
/// "▁" with one in front, then a Viterbi pass over piece scores. Reproduces the reference's exact rules, quirks
/// included, because the encoder was trained on them:
/// positions are Unicode code points; an unmatched code point becomes id 0 (score 0); a tie goes to the later
/// candidate, and a position whose best score is still exactly 0 takes any candidate; runs of id 0 collapse to one.
/// The first <see cref="ReservedCount"/> pieces (control symbols) never match text.
/// </summary>
public sealed class UnigramTokenizer : ITextTokenizer
{
    public const int ReservedCount = 6;
    public const char Separator = '\u2581';
    public const int UnknownId = 0;

    private readonly string[] _pieces;
    private readonly Node _root = new();

    public UnigramTokenizer(IReadOnlyList<(string Piece, double Score)> vocabulary)
    {
        _pieces = vocabulary.Select(v => v.Piece).ToArray();
        for (var id = ReservedCount; id < vocabulary.Count; id++)
            Insert(vocabulary[id].Piece, vocabulary[id].Score, id);
    }

    public int VocabularySize => _pieces.Length;

    public IReadOnlyList<string> Pieces => _pieces;

    /// <summary>Reads <c>vocab.json</c>: <c>[[piece, score], ...]</c>.</summary>
    public static UnigramTokenizer Load(string vocabJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(vocabJson));
            var entries = new List<(string, double)>();
            foreach (var e in doc.RootElement.EnumerateArray())
                entries.Add((e[0].GetString() ?? throw new FormatException("null piece"),
                             e[1].ValueKind == JsonValueKind.Null ? 0 : e[1].GetDouble())); // the reference adds null as 0
            if (entries.Count <= ReservedCount)
                throw new CadreException($"{vocabJson}: vocabulary has only {entries.Count} pieces");
            return new UnigramTokenizer(entries);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new CadreException($"{vocabJson}: not a [[piece, score], ...] vocabulary ({e.Message})");
        }
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var symbols = CodePoints(Prepare(text));
        var n = symbols.Length;
        var best = new double[n + 1];
        var words = new int[n + 1];
        // candidates[end] lists (start, length, id, score) in the reference's order: by start, then by length.
        var candidates = new List<(int Start, int Length, int Id, double Score)>?[n + 1];
        for (var i = 0; i < n; i++)
        {
            var matched = false;
            var node = _root.Child(symbols[i]);
            for (var j = i; node is not null; j++)
            {
                if (node.Id >= 0)
                {
                    (candidates[j + 1] ??= []).Add((i, j + 1 - i, node.Id, node.Score));
                    matched = true;
                }
                node = j + 1 < n ? node.Child(symbols[j + 1]) : null;
            }
            if (!matched)
                (candidates[i + 1] ??= []).Add((i, 1, UnknownId, 0));
        }
        for (var end = 0; end <= n; end++)
        {
            if (candidates[end] is not { } list)
                continue;
            foreach (var c in list) // added by ascending start, as the reference iterates
            {
                var score = c.Score + best[end - c.Length];
                if (best[end] == 0 || score >= best[end])
                {
                    best[end] = score;
                    words[end] = c.Id;
                }
            }
        }
        var reversed = new List<int>();
        // Steps back by the piece's length in UTF-16 units, as the reference does (equal to code points in this vocabulary).
        for (var at = n; at > 0; at -= Math.Max(1, _pieces[words[at]].Length))
            reversed.Add(words[at]);
        var ids = new List<int>(reversed.Count);
        var previousUnknown = false;
        foreach (var id in reversed)
        {
            if (!(previousUnknown && id == UnknownId))
                ids.Add(id);
            previousUnknown = id == UnknownId;
        }
        ids.Reverse();
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
            sb.Append(id >= 0 && id < _pieces.Length ? _pieces[id] : "");
        return sb.ToString().Replace(Separator, ' ').TrimStart(' ');
    }

    /// <summary>NFKC, then "▁" in front and for every U+0020 (other white space stays as it is).</summary>
    internal static string Prepare(string text)
    {
        var normalized = text.Normalize(NormalizationForm.FormKC);
        return normalized.Length > 0 ? Separator + normalized.Replace(' ', Separator) : normalized;
    }

    private static int[] CodePoints(string s)
    {
        var result = new List<int>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(char.ConvertToUtf32(s[i], s[i + 1]));
                i++;
            }
            else
            {
                result.Add(s[i]);
            }
        }
        return [.. result];
    }

    private void Insert(string piece, double score, int id)
    {
        var node = _root;
        foreach (var cp in CodePoints(piece))
            node = node.ChildOrAdd(cp);
        node.Id = id;
        node.Score = score;
    }

    private sealed class Node
    {
        private Dictionary<int, Node>? _children;
        public int Id { get; set; } = -1;
        public double Score { get; set; }

        public Node? Child(int codePoint) => _children is not null && _children.TryGetValue(codePoint, out var n) ? n : null;

        public Node ChildOrAdd(int codePoint)
        {
            _children ??= [];
            if (!_children.TryGetValue(codePoint, out var n))
                _children[codePoint] = n = new Node();
            return n;
        }
    }
}
