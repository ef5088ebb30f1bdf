using Cadre.Data;
using Cadre.Models.Import;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tasks;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Training;

/// <summary>
/// Too little data is refused before training with the numbers behind it, by <c>cadre train</c> and <c>cadre data
/// check</c> alike; borderline splits are warned about; and the places that used to throw on empty input do not.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DataSufficiencyTests
{
    private static Dataset Data(TaskKind task, params (string Text, string Label)[] rows) =>
        new("train.csv", task, [.. rows.Select((r, i) => task == TaskKind.Regression
                ? new Example(r.Text, null, null, double.Parse(r.Label, System.Globalization.CultureInfo.InvariantCulture), "train.csv", i + 2)
                : new Example(r.Text, r.Label, null, null, "train.csv", i + 2))],
            [.. rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal)], []);

    private static SufficiencyReport Check(Dataset train, Dataset? validationFile = null, Dataset? test = null)
    {
        var (fit, validation) = validationFile is null ? Splits.Stratified(train, 0.1, 1) : (train, validationFile);
        return DataSufficiency.Check("spam", train, fit, validation, test, validationFile is null ? 0.1 : null);
    }

    private static (string, string)[] Rows(int count, Func<int, string> label) =>
        [.. Enumerable.Range(0, count).Select(i => ($"text number {i}", label(i)))];

    [Fact]
    public void TooLittleDataIsRefusedWithItsNumbers()
    {
        var empty = Check(Data(TaskKind.Classification));
        Assert.Contains("spam: 0 training rows is too little", Assert.Single(empty.Errors));
        Assert.Contains("2 classes with 2 rows each", empty.Errors[0]);

        Assert.Contains("1 training row of 1 class ('a') is too little: a classifier needs at least 2 classes", Assert.Single(Check(Data(TaskKind.Classification, ("x", "a"))).Errors));
        Assert.Contains("needs at least 2 classes", Assert.Single(Check(Data(TaskKind.Classification, Rows(50, _ => "a"))).Errors));

        var two = Assert.Single(Check(Data(TaskKind.Classification, ("x", "a"), ("y", "b"))).Errors);
        Assert.Contains("spam: 2 training rows of 2 classes is too little", two);
        Assert.Contains("leaves 2 rows to train and 0 to validate", two);
        Assert.Contains("classes under 2 rows: a (1), b (1)", two);

        var many = Assert.Single(Check(Data(TaskKind.Classification, Rows(200, i => $"l{i}"))).Errors);
        Assert.Contains("200 training rows of 200 classes is too little", many);
        Assert.Contains("and 195 more", many);

        var flat = Assert.Single(Check(Data(TaskKind.Regression, Rows(20, _ => "3.5"))).Errors);
        Assert.Contains("all 18 training targets are 3.5: a regression target needs spread", flat);
        Assert.Contains("need at least 3 rows", Assert.Single(Check(Data(TaskKind.Regression, ("x", "1"), ("y", "2"))).Errors));

        var emptyValidation = Check(Data(TaskKind.Classification, Rows(20, i => i % 2 == 0 ? "a" : "b")), validationFile: Data(TaskKind.Classification));
        Assert.Contains(emptyValidation.Errors, e => e.Contains("the validation file has no rows"));
        var emptyTest = Check(Data(TaskKind.Classification, Rows(20, i => i % 2 == 0 ? "a" : "b")), test: Data(TaskKind.Classification));
        Assert.Contains("the test file has no rows", Assert.Single(emptyTest.Errors));
    }

    [Fact]
    public void EnoughDataPassesAndOneClassSplitsAreWarnings()
    {
        var enough = Check(Data(TaskKind.Classification, ("x", "a"), ("x2", "a"), ("y", "b"), ("y2", "b")));
        Assert.True(enough.Sufficient, string.Join("; ", enough.Errors));
        Assert.Empty(enough.Warnings);
        Assert.True(Check(Data(TaskKind.Regression, ("x", "1"), ("y", "2"), ("z", "3"))).Sufficient);

        // 'b' has one row: it trains but is never validated, so validation holds only 'a'
        var lopsided = Check(Data(TaskKind.Classification, [.. Rows(20, _ => "a"), ("lone", "b")]), test: Data(TaskKind.Classification, Rows(5, _ => "b")));
        Assert.True(lopsided.Sufficient, string.Join("; ", lopsided.Errors));
        Assert.Contains(lopsided.Warnings, w => w.Contains("1 class has a single training row and is never validated: b (1)"));
        Assert.Contains(lopsided.Warnings, w => w.Contains("the validation split's 2 rows are all 'a'"));
        Assert.Contains(lopsided.Warnings, w => w.Contains("the test split's 5 rows are all 'b'"));
    }

    public static TheoryData<string, string, string[]> TooLittle() => new()
    {
        { "header only", "text,label\n", ["0 training rows is too little"] },
        { "one row", "text,label\nhello there,a\n", ["1 training row of 1 class"] },
        { "two rows of two classes", "text,label\nhello there,a\nbye now,b\n", ["2 training rows of 2 classes is too little", "0 to validate"] },
        { "200 rows of 200 labels", "text,label\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"text {i},l{i}\n")), ["200 training rows of 200 classes"] },
    };

    [Theory]
    [MemberData(nameof(TooLittle))]
    public void TrainAndDataCheckRefuseTooLittleDataAlikeAndStoreNothing(string what, string csv, string[] expected)
    {
        using var dir = new TempDir();
        var cli = new CliRunner(dir.File("home"));
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        File.WriteAllText(dir.File("train.csv"), csv);
        var spec = dir.File("cadre.yaml");
        File.WriteAllText(spec, "specialists:\n  - name: spam\n    base: tiny\n    data: {train: train.csv}\n    adapter: {method: head}\n    training: {epochs: 2}\n");

        var train = cli.Run("train", spec);
        Assert.True(train.ExitCode != 0, what);
        var error = train.Error.Trim();
        Assert.StartsWith("error: spam: ", error);
        Assert.DoesNotContain("\n", error); // one line
        Assert.DoesNotContain("unexpected", error);
        foreach (var e in expected) Assert.Contains(e, error);
        Assert.False(new SpecialistCatalog(cli.Home).Contains("spam"));

        var check = cli.Run("data", "check", spec, "--base", "tiny");
        Assert.True(check.ExitCode != 0, what);
        Assert.Equal(error, check.Error.Trim().Split('\n')[^1]); // the same refusal, after the report
        Assert.Contains("too little data: spam: ", check.Out);
    }

    [Fact]
    public void TrainWarnsAboutOneClassSplitsAndGoesOn()
    {
        using var dir = new TempDir();
        var cli = new CliRunner(dir.File("home"));
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        File.WriteAllLines(dir.File("train.tsv"), ["text\tlabel", .. TinyTask.Rows(40, 1).Where(r => r.Label == "animal").Select(r => $"{r.Text}\t{r.Label}"), "red blue red\tcolor"]);
        File.WriteAllText(dir.File("cadre.yaml"), "specialists:\n  - name: lopsided\n    base: tiny\n    data: {train: train.tsv}\n    adapter: {method: head}\n    training: {epochs: 2}\n");
        var train = cli.Run("train", dir.File("cadre.yaml"));
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("warning: lopsided: the validation split's 2 rows are all 'animal'", train.Out);
        Assert.Contains("warning: lopsided: 1 class has a single training row and is never validated: color (1)", train.Out);
    }

    [Fact]
    public void EmptyInputsGiveEmptyResultsInsteadOfThrowing()
    {
        using var head = new ClassifierHead(8, 2, seed: 1);
        var objective = TaskObjective.For(TaskKind.Classification, ["a", "b"]);
        using (var scope = NewDisposeScope())
            Assert.Empty(objective.Rows(head, zeros(0, 8))); // TorchSharp's data<T>().ToArray() threw 'startingIndex' here
        foreach (var method in Routers.All)
        {
            using var router = method.Fit(Routing.RouterMethodTests.Clusters(10, 1), seed: 1);
            using var scope = NewDisposeScope();
            Assert.Empty(router.Score(zeros(0, 16)).Logits);
        }

        using var dir = new TempDir();
        var cli = new CliRunner(dir.File("home"));
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        using var encoder = BaseModels.LoadEncoder(new BaseCatalog(cli.Home), "tiny");
        var sample = RoutingSample.Compute("spam", encoder, Data(TaskKind.Classification), [], maxLength: 16, seed: 1);
        Assert.Equal(0, sample.Rows);
    }
}
