namespace Cadre.Data.Quality;

/// <summary>
/// Near-duplicate search by MinHash with banded locality-sensitive hashing (Broder 1997; Leskovec, Rajaraman and
/// Ullman, "Mining of Massive Datasets", ch. 3). A text's shingles are the character 5-grams of its normalized form
/// (<see cref="DataCheck.Normalize"/>; texts shorter than that are one shingle), hashed to 64 bits (FNV-1a over UTF-16 units); its
/// signature keeps, for each of 128 seeded hash permutations, the smallest value. Rows that agree on every value of
/// some band become candidates, and every candidate pair is verified by the exact Jaccard similarity of the
/// shingle sets, so a reported pair is never an estimate. Linear in the rows (plus the candidate pairs).
/// Character shingles suit short texts (sst2's phrases have three words): word shingles would give them one or two.
/// </summary>
public sealed class MinHash
{
    public const int Permutations = 128;
    public const int ShingleLength = 5;

    private readonly ulong[] _a = new ulong[Permutations];
    private readonly ulong[] _b = new ulong[Permutations];

    /// <summary>The rows per LSH band for a Jaccard threshold: fewer rows catch lower similarities (more candidates).</summary>
    public int RowsPerBand { get; }
    public int Bands => Permutations / RowsPerBand;
    public double Threshold { get; }

    public MinHash(double threshold)
    {
        if (threshold is <= 0 or > 1)
            throw new CadreException($"near-duplicate threshold must be in (0, 1], got {threshold}");
        Threshold = threshold;
        // Probability that a pair at the threshold shares a band: 1 - (1 - t^r)^(128/r); r is chosen so it
        // stays above 0.99 down to t = 0.5 (r = 2 below 0.5 too).
        RowsPerBand = threshold >= 0.75 ? 4 : threshold >= 0.5 ? 2 : 1;
        var state = 0x9E3779B97F4A7C15UL; // fixed seed: signatures are the same on every machine
        for (var i = 0; i < Permutations; i++)
        {
            _a[i] = SplitMix(ref state) | 1; // odd multipliers are permutations of the 64-bit integers
            _b[i] = SplitMix(ref state);
        }
    }

    /// <summary>Sorted, distinct 64-bit hashes of the text's character 5-grams (its normalized form).</summary>
    public static ulong[] Shingles(string text)
    {
        var s = DataCheck.Normalize(text);
        if (s.Length == 0) s = text;
        var set = new HashSet<ulong>();
        if (s.Length <= ShingleLength) set.Add(Fnv(s.AsSpan()));
        else
            for (var i = 0; i + ShingleLength <= s.Length; i++)
                set.Add(Fnv(s.AsSpan(i, ShingleLength)));
        var arr = set.ToArray();
        Array.Sort(arr);
        return arr;
    }

    public ulong[] Signature(ulong[] shingles)
    {
        var sig = new ulong[Permutations];
        Array.Fill(sig, ulong.MaxValue);
        foreach (var x in shingles)
            for (var i = 0; i < Permutations; i++)
            {
                var h = unchecked(_a[i] * x + _b[i]);
                if (h < sig[i]) sig[i] = h;
            }
        return sig;
    }

    /// <summary>Exact Jaccard similarity of two sorted, distinct arrays.</summary>
    public static double Jaccard(ulong[] a, ulong[] b)
    {
        int i = 0, j = 0, common = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { common++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        var union = a.Length + b.Length - common;
        return union == 0 ? 1 : (double)common / union;
    }

    /// <summary>The band keys of a signature: one 64-bit hash of each band's values, mixed with the band's number.</summary>
    public IEnumerable<(int Band, ulong Key)> BandKeys(ulong[] signature)
    {
        for (var band = 0; band < Bands; band++)
        {
            var h = 0xCBF29CE484222325UL ^ (ulong)band;
            for (var r = 0; r < RowsPerBand; r++)
                h = Mix(h ^ signature[band * RowsPerBand + r]);
            yield return (band, h);
        }
    }

    /// <summary>FNV-1a over the UTF-16 code units, then a finalizer (FNV alone is weak in its low bits).</summary>
    private static ulong Fnv(ReadOnlySpan<char> s)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var c in s) h = unchecked((h ^ c) * 0x100000001B3UL);
        return Mix(h);
    }

    private static ulong SplitMix(ref ulong state)
    {
        state = unchecked(state + 0x9E3779B97F4A7C15UL);
        return Mix(state);
    }

    /// <summary>SplitMix64's finalizer.</summary>
    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
