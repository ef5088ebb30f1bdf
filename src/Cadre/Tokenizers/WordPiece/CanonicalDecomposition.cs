using System.Globalization;
using System.Text;

namespace Cadre.Tokenizers.WordPiece;

/// <summary>
/// Unicode NFD without ICU. Cadre runs with InvariantGlobalization, where <see cref="string.Normalize()"/> leaves
/// non-ASCII text untouched, so BERT's accent stripping (NFD, then drop Mn) would silently do nothing. The table is
/// generated from Python's unicodedata by tools/reference/bert/make_nfd_table.py, which also makes tokenization
/// independent of the machine's ICU version.
/// </summary>
internal static class CanonicalDecomposition
{
    private const int HangulBase = 0xAC00, HangulCount = 11172, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int VCount = 21, TCount = 28, NCount = VCount * TCount;

    private static readonly Lazy<Tables> Data = new(LoadTables);

    /// <summary>Returns the canonical decomposition of <paramref name="text"/>, marks in canonical order.</summary>
    public static string Decompose(string text)
    {
        var tables = Data.Value;
        var runes = new List<(Rune Rune, int Class)>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp - HangulBase is >= 0 and < HangulCount)
            {
                // Hangul syllables decompose by arithmetic (Unicode 3.12), into leading, vowel and trailing jamo.
                var s = cp - HangulBase;
                runes.Add((new Rune(LBase + s / NCount), 0));
                runes.Add((new Rune(VBase + s % NCount / TCount), 0));
                if (s % TCount != 0)
                    runes.Add((new Rune(TBase + s % TCount), 0));
            }
            else if (tables.Decompositions.TryGetValue(cp, out var parts))
            {
                foreach (var part in parts)
                    runes.Add((new Rune(part), tables.CombiningClass(part)));
            }
            else
            {
                runes.Add((rune, tables.CombiningClass(cp)));
            }
        }
        SortMarks(runes);
        var builder = new StringBuilder(text.Length + 8);
        foreach (var (rune, _) in runes)
            builder.Append(rune.ToString());
        return builder.ToString();
    }

    /// <summary>Canonical ordering: a stable sort by combining class within each run of non-starters.</summary>
    private static void SortMarks(List<(Rune Rune, int Class)> runes)
    {
        for (var i = 1; i < runes.Count; i++)
        {
            var current = runes[i];
            if (current.Class == 0)
                continue;
            var j = i - 1;
            while (j >= 0 && runes[j].Class > current.Class)
            {
                runes[j + 1] = runes[j];
                j--;
            }
            runes[j + 1] = current;
        }
    }

    private sealed class Tables(Dictionary<int, int[]> decompositions, List<(int First, int Last, int Class)> classes)
    {
        public Dictionary<int, int[]> Decompositions { get; } = decompositions;

        public int CombiningClass(int cp)
        {
            // Binary search over sorted, disjoint ranges; most text hits the early "below first range" exit.
            int lo = 0, hi = classes.Count - 1;
            while (lo <= hi)
            {
                var mid = (lo + hi) / 2;
                var (first, last, cls) = classes[mid];
                if (cp < first) hi = mid - 1;
                else if (cp > last) lo = mid + 1;
                else return cls;
            }
            return 0;
        }
    }

    private static Tables LoadTables()
    {
        const string name = "Cadre.Tokenizers.WordPiece.nfd-table.txt";
        using var stream = typeof(CanonicalDecomposition).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from Cadre.Core");
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var decompositions = new Dictionary<int, int[]>();
        var classes = new List<(int, int, int)>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var fields = line.Split(' ');
            if (fields[0] == "D")
                decompositions[Hex(fields[1])] = fields.Skip(2).Select(Hex).ToArray();
            else
                classes.Add((Hex(fields[1]), Hex(fields[2]), int.Parse(fields[3], CultureInfo.InvariantCulture)));
        }
        return new Tables(decompositions, classes);
    }

    private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
