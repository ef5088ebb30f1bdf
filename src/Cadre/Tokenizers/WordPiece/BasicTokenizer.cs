using System.Globalization;
using System.Text;

namespace Cadre.Tokenizers.WordPiece;

/// <summary>
/// BERT's "basic" tokenization, before WordPiece: clean the text, space out CJK ideographs, split on whitespace,
/// lower-case and strip accents per word, then split off every punctuation character. It follows the original
/// Google <c>tokenization.py</c> rule for rule (a pure-Python copy lives in tools/reference/bert/), because
/// Microsoft.ML.Tokenizers' BertTokenizer differs from it on ordinary input: it drops symbols and emoji, deletes
/// tabs and newlines instead of splitting there, and cannot strip accents under InvariantGlobalization.
/// </summary>
internal sealed class BasicTokenizer(bool lowerCase, bool stripAccents, bool splitCjk)
{
    /// <summary>Appends the words of <paramref name="text"/> to <paramref name="words"/>.</summary>
    public void Split(string text, List<string> words)
    {
        foreach (var token in SplitOnWhitespace(Clean(text)))
        {
            var word = token;
            if (lowerCase)
                word = Lower(word);
            if (stripAccents)
                word = StripAccents(word);
            SplitOnPunctuation(word, words);
        }
    }

    /// <summary>Python's <c>str.split()</c>: runs of whitespace separate, empty pieces vanish.</summary>
    public static IEnumerable<string> SplitOnWhitespace(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Drops NUL, U+FFFD and other-category characters, maps whitespace to a space, spaces out CJK.</summary>
    private string Clean(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        // EnumerateRunes turns a lone surrogate into U+FFFD, which is dropped like Python drops category Cs.
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune))
                continue;
            if (IsWhitespace(rune))
                builder.Append(' ');
            else if (splitCjk && IsCjkIdeograph(cp))
                builder.Append(' ').Append(rune.ToString()).Append(' ');
            else
                builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    private static void SplitOnPunctuation(string word, List<string> words)
    {
        var start = 0;
        var index = 0;
        foreach (var rune in word.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (index > start)
                    words.Add(word[start..index]);
                words.Add(word.Substring(index, rune.Utf16SequenceLength));
                start = index + rune.Utf16SequenceLength;
            }
            index += rune.Utf16SequenceLength;
        }
        if (index > start)
            words.Add(word[start..index]);
    }

    /// <summary>
    /// Python's <c>str.lower()</c>, which BERT uses: .NET's invariant simple case mapping plus the two rules where
    /// Python differs (U+0130 becomes "i" + combining dot; a word-final capital sigma becomes ς).
    /// </summary>
    internal static string Lower(string word)
    {
        var runes = word.EnumerateRunes().ToArray();
        var builder = new StringBuilder(word.Length + 2);
        for (var i = 0; i < runes.Length; i++)
        {
            var cp = runes[i].Value;
            if (cp == 0x0130)
                builder.Append("i\u0307");
            else if (cp == 0x03A3)
                builder.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            else
                builder.Append(Rune.ToLowerInvariant(runes[i]).ToString());
        }
        return builder.ToString();
    }

    /// <summary>Unicode's Final_Sigma context: a cased letter before, none after (skipping case-ignorables).</summary>
    private static bool IsFinalSigma(Rune[] runes, int index)
    {
        var before = index - 1;
        while (before >= 0 && IsCaseIgnorable(runes[before]))
            before--;
        if (before < 0 || !IsCased(runes[before]))
            return false;
        var after = index + 1;
        while (after < runes.Length && IsCaseIgnorable(runes[after]))
            after++;
        return after == runes.Length || !IsCased(runes[after]);
    }

    private static bool IsCased(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        // Word_Break MidLetter, MidNumLet and Single_Quote.
        || rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;

    private static string StripAccents(string word)
    {
        var builder = new StringBuilder(word.Length);
        foreach (var rune in CanonicalDecomposition.Decompose(word).EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
                builder.Append(rune.ToString());
        return builder.ToString();
    }

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    /// <summary>Every "C*" category except tab, newline and carriage return, which count as whitespace.</summary>
    private static bool IsControl(Rune rune) => rune.Value is not ('\t' or '\n' or '\r')
        && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    /// <summary>All non-alphanumeric ASCII (so "$", "+", "^" split too) and every "P*" category.</summary>
    private static bool IsPunctuation(Rune rune)
    {
        var cp = rune.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126)
            return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation
            or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana, which use spaces).</summary>
    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
