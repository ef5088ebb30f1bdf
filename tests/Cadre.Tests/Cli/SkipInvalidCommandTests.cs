using System.Text.Json;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>
/// <c>--skip-invalid</c> on <c>cadre train</c> and <c>cadre data check</c>: the error that stops on a bad row names
/// the flag and the spec key, the flag exists on both verbs, and the check reports what it skipped in every output.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SkipInvalidCommandTests
{
    /// <summary>The tiny task with two bad rows in train (an empty label at line 5, a stray field at line 9).</summary>
    private static (CliRunner Cli, string Spec, string Train) Prepare(TempDir dir)
    {
        var cli = new CliRunner(dir.File("home"));
        var spec = TinyTask.Prepare(cli, dir.Path, epochs: 2);
        var train = dir.File("train.tsv");
        var lines = File.ReadAllLines(train).ToList();
        lines[4] = lines[4].Split('\t')[0] + "\t";
        lines[8] += "\textra";
        File.WriteAllLines(train, lines);
        return (cli, spec, train);
    }

    [Fact]
    public void TrainStopsNamingTheFlagAndTheKeyThenSkipsWithTheFlag()
    {
        using var dir = new TempDir();
        var (cli, spec, train) = Prepare(dir);
        var refused = cli.Run("train", spec);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--skip-invalid", refused.Error);
        Assert.Contains("data.skip_invalid", refused.Error);

        var trained = cli.Run("train", spec, "--skip-invalid");
        Assert.True(trained.ExitCode == 0, trained.Error);
        Assert.Contains($"skipped 2 invalid rows of {train}", trained.Out);
        Assert.Contains("stored specialist 'tiny-task' version 1", trained.Out);
    }

    [Fact]
    public void DataCheckReportsTheSkippedRowsInTextJsonAndHtml()
    {
        using var dir = new TempDir();
        var (cli, spec, train) = Prepare(dir);
        var refused = cli.Run("data", "check", spec, "--no-model");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--skip-invalid", refused.Error);
        Assert.Contains("data.skip_invalid", refused.Error);

        var text = cli.Run("data", "check", spec, "--no-model", "--skip-invalid");
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("skipped (--skip-invalid): 2 invalid rows, not checked", text.Out);
        Assert.Contains($"  {train}:5: empty label", text.Out);
        Assert.Contains($"  {train}:9: 3 fields where the file has 2", text.Out);

        var html = dir.File("report.html");
        var json = cli.Run("data", "check", spec, "--no-model", "--skip-invalid", "--json", "--html", html);
        Assert.True(json.ExitCode == 0, json.Error);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(2, doc.RootElement.GetProperty("skipped_rows").GetInt32());
        var first = doc.RootElement.GetProperty("skipped").EnumerateArray().First();
        Assert.Equal(train, first.GetProperty("file").GetString());
        Assert.Equal(5, first.GetProperty("line").GetInt32());
        Assert.Equal("empty label", first.GetProperty("reason").GetString());
        var page = File.ReadAllText(html);
        Assert.Contains("Skipped invalid rows (2", page);
        Assert.Contains("<td>9</td><td>3 fields where the file has 2", page);
    }

    [Fact]
    public void TheSpecKeyAloneSkipsInDataCheck()
    {
        using var dir = new TempDir();
        var (cli, spec, _) = Prepare(dir);
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("test: test.tsv", "test: test.tsv\n      skip_invalid: true"));
        var r = cli.Run("data", "check", spec, "--no-model", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(2, doc.RootElement.GetProperty("skipped_rows").GetInt32());
    }
}
