namespace Cadre.Util;

/// <summary>
/// "Did you mean": the closest known name to a mistyped one, by optimal-string-alignment distance (a swap of two
/// neighbouring letters counts once, so <c>trian</c> is one edit from <c>train</c>). Used wherever a name from a
/// fixed list is refused: CLI verbs and options, adapter, merge and routing methods.
/// </summary>
public static class Suggest
{
    /// <summary>Edits allowed between a typo and its suggestion: beyond two, a guess misleads more than it helps.</summary>
    public const int MaxDistance = 2;

    /// <summary>The closest candidate within <see cref="MaxDistance"/> edits (first in list order on a tie), or null.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(input.ToLowerInvariant(), c.ToLowerInvariant());
            // A distance as long as the name itself would suggest anything short ('x' -> 'ia3'). Names are matched
            // exactly, so one that differs only in case ('TIES') is a typo too.
            if (d <= MaxDistance && d < c.Length && d < bestDistance && !string.Equals(input, c, StringComparison.Ordinal))
                (best, bestDistance) = (c, d);
        }
        return best;
    }

    /// <summary>"; did you mean 'x'?" to append to an error, or "" when nothing is close.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates) is { } c ? $"; did you mean '{c}'?" : "";

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
