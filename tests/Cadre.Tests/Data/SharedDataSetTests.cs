using Cadre.Data;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Data;

/// <summary>Every file shape in ../shared/data loads through a source description alone, with the published counts.</summary>
public sealed class SharedDataSetTests
{
    public static TheoryData<string, string, string, string?, char?, bool?, int, int> Files() => new()
    {
        // file, text, label, format, delimiter, header, rows, labels
        { "data/sst2/train.tsv", "sentence", "label", null, null, null, 67349, 2 },
        { "data/sst2/test.tsv", "sentence", "label", null, null, null, 1821, 2 },
        { "data/trec/train.tsv", "text", "label_coarse", null, null, null, 5452, 6 },
        { "data/trec/test.tsv", "text", "label_fine", null, null, null, 500, 42 },
        { "data/ag_news/train_subset_5000.csv", "text", "label", null, null, null, 5000, 4 },
        { "data/ag_news/test.csv", "2", "0", null, null, false, 7600, 4 },
        { "data/sms_spam_collection/SMSSpamCollection", "1", "0", null, null, null, 5574, 2 },
        { "data/dair_ai_emotion/train.txt", "text", "label_name", null, null, null, 16000, 6 },
        { "data/banking77/train.csv", "text", "category", null, null, null, 10003, 77 },
        { "data/clinc150/train.jsonl", "text", "label", null, null, null, 15100, 151 },
        { "data/snips_intent/train.jsonl", "text", "intent", null, null, null, 13784, 7 },
        { "data/tweet_eval/offensive/val.jsonl", "text", "label", null, null, null, 1324, 2 },
        { "data/tweet_eval/emotion/test.jsonl", "text", "label", null, null, null, 1421, 4 },
        { "data/uci_sentiment_labelled_sentences/yelp_labelled.txt", "0", "1", null, null, null, 1000, 2 },
        { "data/dbpedia14_subset/train_subset_14000.csv", "1", "0", null, null, false, 14000, 14 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void LoadsWithPublishedCounts(string file, string text, string label, string? format, char? delimiter,
                                         bool? header, int rows, int labels)
    {
        var path = SharedData.Require(file);
        var data = DatasetReader.Read(new TableSource
        {
            Path = path, Text = ColumnRef.Parse(text), Label = ColumnRef.Parse(label),
            Format = format is null ? null : Enum.Parse<DataFormat>(format, true), Delimiter = delimiter, Header = header,
        });
        Assert.Equal(rows, data.Count);
        Assert.Equal(labels, data.Labels.Count);
        Assert.Empty(data.Skipped);
        Assert.All(data.Examples.Take(50), e => Assert.False(string.IsNullOrWhiteSpace(e.Text)));
    }

    [Fact]
    public void RealEmptyTweetsAreFoundAndSkippedOnlyOnRequest()
    {
        var path = SharedData.Require("data/tweet_eval/hate/train.jsonl");
        var source = new TableSource { Path = path, Text = ColumnRef.Named("text"), Label = ColumnRef.Named("label_name") };
        var e = Assert.Throws<CadreException>(() => DatasetReader.Read(source));
        Assert.Contains("7 problem(s)", e.Message);
        Assert.Contains("train.jsonl:1468: empty text", e.Message);
        var data = DatasetReader.Read(source, skipInvalid: true);
        Assert.Equal(8993, data.Count);
        Assert.Equal(7, data.Skipped.Count);
    }
}
