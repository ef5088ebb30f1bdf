using Cadre.Util;

namespace Cadre.Tests.Util;

public sealed class PluralTests
{
    [Theory]
    [InlineData(0, "version", "0 versions")]
    [InlineData(1, "version", "1 version")]
    [InlineData(2, "base", "2 bases")]
    [InlineData(1, "class", "1 class")]
    [InlineData(3, "class", "3 classes")]
    [InlineData(1234, "row", "1,234 rows")]
    public void CountAndNounAgree(long n, string noun, string expected) => Assert.Equal(expected, Plural.Of(n, noun));

    [Fact]
    public void AnIrregularPluralIsGiven() => Assert.Equal("2 entries", Plural.Of(2, "entry", "entries"));
}
