using System.Text;

namespace Cadre.Tokenizers;

/// <summary>
/// One BPE encoding of a normalized text. Symbols form a linked list; candidate pairs wait in a priority queue
/// ordered by the merged piece's score, then by position (leftmost first), exactly the order in which run.c's
/// rescan-everything loop and SentencePiece's <c>bpe_model.cc</c> merge. A candidate whose symbols changed since it
/// was queued is stale and skipped when popped.
/// </summary>
internal sealed class BpeMerger
{
    private static readonly Comparer<(float Score, int Left)> BestFirst = Comparer<(float Score, int Left)>.Create(
        (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left));

    private readonly SentencePieceVocabulary _vocabulary;
    private readonly List<string?> _text = [];    // null once merged into its left neighbour
    private readonly List<int> _id = [];
    private readonly List<bool> _frozen = [];     // byte-fallback, unknown and user-defined symbols never merge
    private readonly List<int> _next = [];
    private readonly List<int> _previous = [];
    private readonly PriorityQueue<(int Left, int Right, int Length, int Id), (float, int)> _queue = new(BestFirst);

    public BpeMerger(SentencePieceVocabulary vocabulary, string normalized)
    {
        _vocabulary = vocabulary;
        Split(normalized);
        for (var i = 0; i + 1 < _text.Count; i++)
            Offer(i, i + 1);
        Merge();
    }

    public void AppendIds(List<int> ids)
    {
        for (var i = _text.Count > 0 ? 0 : -1; i >= 0; i = _next[i])
            ids.Add(_id[i]);
    }

    /// <summary>One symbol per character (or user-defined piece); characters outside the vocabulary become bytes.</summary>
    private void Split(string text)
    {
        var position = 0;
        Span<byte> utf8 = stackalloc byte[4];
        while (position < text.Length)
        {
            var userDefined = MatchUserDefined(text, position);
            if (userDefined is not null)
            {
                _vocabulary.TryGetMergeable(userDefined, out var udId);
                Add(userDefined, udId, frozen: true);
                position += userDefined.Length;
                continue;
            }
            Rune.DecodeFromUtf16(text.AsSpan(position), out var rune, out var consumed); // lone surrogates -> U+FFFD
            var character = rune.ToString();
            position += consumed;
            if (_vocabulary.TryGetMergeable(character, out var id))
                Add(character, id, frozen: false);
            else if (_vocabulary.HasByteFallback)
                foreach (var b in utf8[..rune.EncodeToUtf8(utf8)])
                    Add(character, _vocabulary.ByteId(b), frozen: true);
            else
                Add(character, _vocabulary.UnknownId, frozen: true);
        }
    }

    private string? MatchUserDefined(string text, int position)
    {
        foreach (var candidate in _vocabulary.UserDefined)
            if (string.CompareOrdinal(text, position, candidate, 0, candidate.Length) == 0)
                return candidate;
        return null;
    }

    private void Add(string text, int id, bool frozen)
    {
        var index = _text.Count;
        _text.Add(text);
        _id.Add(id);
        _frozen.Add(frozen);
        _previous.Add(index - 1);
        _next.Add(-1);
        if (index > 0)
            _next[index - 1] = index;
    }

    private void Offer(int left, int right)
    {
        if (left < 0 || right < 0 || _frozen[left] || _frozen[right])
            return;
        var merged = _text[left] + _text[right];
        if (_vocabulary.TryGetMergeable(merged, out var id))
            _queue.Enqueue((left, right, merged.Length, id), (_vocabulary.Pieces[id].Score, left));
    }

    private void Merge()
    {
        while (_queue.TryDequeue(out var pair, out _))
        {
            var (left, right) = (pair.Left, pair.Right);
            if (_text[left] is not { } l || _text[right] is not { } r || _next[left] != right || l.Length + r.Length != pair.Length)
                continue; // stale: one side was merged elsewhere since this pair was queued
            _text[left] = l + r;
            _id[left] = pair.Id;
            _text[right] = null;
            _next[left] = _next[right];
            if (_next[right] >= 0)
                _previous[_next[right]] = left;
            Offer(_previous[left], left);
            Offer(left, _next[left]);
        }
    }
}
