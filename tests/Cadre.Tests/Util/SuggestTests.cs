using Cadre.Util;

namespace Cadre.Tests.Util;

public sealed class SuggestTests
{
    [Theory]
    [InlineData("trian", "train")]      // a swap is one edit
    [InlineData("lorra", "lora")]
    [InlineData("ia4", "ia3")]
    [InlineData("TIES", "ties")]
    [InlineData("prototyp", "prototype")]
    public void AMistypedNameGetsTheClosestKnownOne(string typed, string expected) =>
        Assert.Equal(expected, Suggest.Closest(typed, ["train", "lora", "ia3", "ties", "prototype", "predict"]));

    [Theory]
    [InlineData("x")]            // nothing within reach of a one-letter word
    [InlineData("frobnicate")]
    [InlineData("train")]        // an exact name is not a typo
    public void NothingCloseGivesNoSuggestion(string typed) =>
        Assert.Null(Suggest.Closest(typed, ["train", "ia3", "eval"]));

    [Fact]
    public void DidYouMeanIsAnEmptyOrAppendableClause()
    {
        Assert.Equal("; did you mean 'lora'?", Suggest.DidYouMean("lorra", ["head", "lora"]));
        Assert.Equal("", Suggest.DidYouMean("zzzzzz", ["head", "lora"]));
    }

    [Theory]
    [InlineData("abc", "abc", 0)]
    [InlineData("abc", "acb", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void DistanceIsOptimalStringAlignment(string a, string b, int expected) => Assert.Equal(expected, Suggest.Distance(a, b));
}
