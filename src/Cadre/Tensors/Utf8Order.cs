namespace Cadre.Tensors;

/// <summary>
/// Orders names by their UTF-8 bytes, which is Unicode code-point order: what Rust's <c>str</c> ordering (Hugging
/// Face's writer) and Python's <c>sorted</c> use. .NET's ordinal order compares UTF-16 units and so puts characters
/// above U+FFFF (surrogate pairs) before U+E000..U+FFFF; layouts and hashes that must match other tools use this.
/// </summary>
internal static class Utf8Order
{
    public static readonly IComparer<string> Strings = Comparer<string>.Create(CompareStrings);

    public static readonly IComparer<byte[]> Bytes = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    private static int CompareStrings(string? a, string? b)
    {
        if (a is null || b is null)
            return (a is null).CompareTo(b is null) * -1;
        var left = a.EnumerateRunes();
        var right = b.EnumerateRunes();
        while (true)
        {
            bool hasLeft = left.MoveNext(), hasRight = right.MoveNext();
            if (!hasLeft || !hasRight)
                return hasLeft.CompareTo(hasRight);
            var c = left.Current.Value.CompareTo(right.Current.Value);
            if (c != 0)
                return c;
        }
    }
}
