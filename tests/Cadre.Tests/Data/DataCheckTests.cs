using Cadre.Data;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Data;

public sealed class DataCheckTests
{
    private static Dataset Make(string file, params (string Text, string Label)[] rows) =>
        new(file, TaskKind.Classification,
            rows.Select((r, i) => new Example(r.Text, r.Label, null, null, file, i + 2)).ToList(),
            rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList(), []);

    [Fact]
    public void FindsDuplicatesConflictsLeakageAndBalance()
    {
        var train = Make("train.csv",
            ("Great movie!", "pos"), ("great movie", "neg"), ("Great movie!", "pos"),
            ("awful", "neg"), ("fine film", "pos"), ("A  TEST, sentence.", "pos"));
        var test = Make("test.csv", ("awful", "neg"), ("a test sentence", "pos"), ("unseen", "pos"));
        var report = DataCheck.Run(train, test);

        var exact = Assert.Single(report.ExactDuplicates);
        Assert.Equal([2, 4], exact.Lines);
        var normalized = Assert.Single(report.NormalizedDuplicates);
        Assert.Equal([2, 3, 4], normalized.Lines);
        Assert.True(normalized.ConflictingLabels);
        Assert.Equal(2, report.Leaks.Count);
        Assert.Contains(report.Leaks, l => l.Exact && l.Text == "awful" && l.TrainLine == 5 && l.OtherLine == 2);
        Assert.Contains(report.Leaks, l => !l.Exact && l.TrainLine == 7);
        Assert.Equal(4, report.Classes.Single(c => c.Label == "pos").Count);
        Assert.Equal(2.0, report.ImbalanceRatio);

        var text = report.Render();
        Assert.Contains("6 rows, 2 classes, imbalance 2.0:1", text);
        Assert.Contains("duplicates with conflicting labels: 1", text);
        Assert.Contains("leakage): 2 (1 exact, 1 normalized, 0 near)", text);
    }

    [Fact]
    public void LeakKindsAddUpToTheLeaksEvenWhenANearCopySharesEveryShingle()
    {
        // "ha ha ha ha" and "ha ha ha ha ha ha" differ after normalization yet have the same 5-gram set (Jaccard 1):
        // a near leak by how it was found, which a similarity test alone would call neither exact nor near.
        var train = Make("train.csv", ("awful", "neg"), ("A  TEST, sentence.", "pos"), ("ha ha ha ha ha ha", "pos"));
        var test = Make("test.csv", ("awful", "neg"), ("a test sentence", "pos"), ("ha ha ha ha", "pos"));
        var report = DataCheck.Run(train, test);
        Assert.Equal(["exact", "normalized", "near"], report.Leaks.Select(l => l.Kind));
        Assert.Equal(1.0, report.Leaks[2].Similarity);
        Assert.Contains("leakage): 3 (1 exact, 1 normalized, 1 near)", report.Render());
    }

    [Fact]
    public void NearCopiesAreGroupedAndNearLeaksFoundAboveTheThreshold()
    {
        var train = Make("train.csv",
            ("the film is a charming and witty comedy of manners", "pos"),
            ("the film is a charming and witty comedy of manner", "neg"),      // one letter less
            ("an entirely different sentence about the weather", "pos"),
            ("the film is a charming, witty comedy of manners!", "pos"),       // normalizes apart from "and"
            ("a quiet story about grief told with great restraint", "neg"));
        var test = Make("test.csv", ("a quiet story about grief, told with great restraint and care", "neg"), ("unrelated words here", "pos"));
        var report = DataCheck.Run(train, [test], new DataCheckOptions { NearThreshold = 0.7 });
        var group = Assert.Single(report.NearDuplicates);
        Assert.Equal([2, 3, 5], group.Lines);
        Assert.True(group.ConflictingLabels);
        Assert.Equal(1.0, group.Similarities[0]);
        Assert.All(group.Similarities, s => Assert.True(s >= 0.7));
        var leak = Assert.Single(report.Leaks);
        Assert.True(leak.Near);
        Assert.Equal(6, leak.TrainLine);
        Assert.Equal(2, leak.OtherLine);
        Assert.InRange(leak.Similarity, 0.7, 0.99);

        var strict = DataCheck.Run(train, [test], new DataCheckOptions { NearThreshold = 0.95 });
        Assert.Equal([2, 3], Assert.Single(strict.NearDuplicates).Lines);
        Assert.Empty(strict.Leaks);
        Assert.Empty(DataCheck.Run(train, [test], new DataCheckOptions { Near = false }).NearDuplicates);
    }

    [Fact]
    public void NormalizationFoldsCaseUnicodeSpacingAndPunctuation()
    {
        Assert.Equal("fine café ok", DataCheck.Normalize("  FINE   Café... ok!! "));
        Assert.Equal(DataCheck.Normalize("ﬁne"), DataCheck.Normalize("fine"));
    }

    [Fact]
    public void HundredThousandRowsAreChecked()
    {
        // How fast is a benchmark's question (cadre bench data, docs/RESULTS.md "data"), not a timed test's: quadratic
        // work here would still show, as a test run that takes far longer.
        var random = new Random(3);
        var rows = Enumerable.Range(0, 100_000).Select(i => ($"row {random.Next(60_000)} text", (i % 7).ToString())).ToArray();
        var report = DataCheck.Run(Make("big.csv", rows), Make("test.csv", rows[..1000]));
        Assert.Equal(100_000, report.Rows);
        Assert.True(report.ExactDuplicates.Count > 0);
    }

    [Fact]
    public void RealSst2TrainHasItsKnownDuplicatePhrases()
    {
        var path = SharedData.Require("data/sst2/train.tsv");
        var train = DatasetReader.Read(new TableSource { Path = path, Text = ColumnRef.Named("sentence"), Label = ColumnRef.Named("label") });
        var report = DataCheck.Run(train);
        Assert.Equal(371, report.ExactDuplicates.Count); // PROVENANCE.txt: 371 phrase strings appear twice
    }
}

public sealed class SplitTests
{
    private static Dataset Data(int n) => new("d.csv", TaskKind.Classification,
        Enumerable.Range(0, n).Select(i => new Example($"t{i}", i % 10 < 7 ? "a" : "b", null, null, "d.csv", i + 2)).ToList(), ["a", "b"], []);

    [Fact]
    public void StratifiedSplitIsDeterministicAndKeepsProportions()
    {
        var (train, validation) = Splits.Stratified(Data(1000), 0.1, seed: 1);
        Assert.Equal(100, validation.Count);
        Assert.Equal(900, train.Count);
        Assert.Equal(70, validation.Examples.Count(e => e.Label == "a"));
        Assert.Empty(train.Examples.Select(e => e.Text).Intersect(validation.Examples.Select(e => e.Text)));
        var again = Splits.Stratified(Data(1000), 0.1, seed: 1).Validation;
        Assert.Equal(validation.Examples.Select(e => e.Text), again.Examples.Select(e => e.Text));
        var other = Splits.Stratified(Data(1000), 0.1, seed: 2).Validation;
        Assert.NotEqual(validation.Examples.Select(e => e.Text), other.Examples.Select(e => e.Text));
    }

    [Fact]
    public void BadFractionIsRefused() =>
        Assert.Contains("validation_split", Assert.Throws<CadreException>(() => Splits.Stratified(Data(10), 1.5, 1)).Message);
}
