using System.Globalization;

namespace Cadre.Util;

/// <summary>A count and its noun, in the right number: "1 version", "2 versions", "1 class", "3 classes".</summary>
public static class Plural
{
    /// <summary><c>n</c> (with thousands separators) and the noun; <paramref name="plural"/> when adding "s" is wrong.</summary>
    public static string Of(long n, string noun, string? plural = null) =>
        n.ToString("N0", CultureInfo.InvariantCulture) + " " + Noun(n, noun, plural);

    /// <summary>The noun alone, singular for exactly one.</summary>
    public static string Noun(long n, string noun, string? plural = null) =>
        n == 1 ? noun : plural ?? (noun.EndsWith('s') || noun.EndsWith('x') || noun.EndsWith("ch", StringComparison.Ordinal) || noun.EndsWith("sh", StringComparison.Ordinal)
            ? noun + "es" : noun + "s");
}
