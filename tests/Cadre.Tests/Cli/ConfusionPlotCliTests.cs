using System.Text.Json;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary><c>cadre eval --plot</c>: writes the PNG, keeps --json output parseable, refuses a missing folder up front.</summary>
[Collection(TorchCollection.Name)]
public sealed class ConfusionPlotCliTests
{
    [Fact]
    public void EvalWritesTheConfusionMatrixAsAPng()
    {
        using var home = new TempDir();
        using var work = new TempDir();
        var cli = new CliRunner(home.Path);
        var spec = TinyTask.Prepare(cli, work.Path, epochs: 2);
        var train = cli.Run("train", spec);
        Assert.True(train.ExitCode == 0, train.Error + train.Out);
        var test = Path.Combine(work.Path, "test.tsv");

        var png = work.File("confusion.png");
        var eval = cli.Run("eval", "tiny-task", "--data", test, "--plot", png);
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Contains($"wrote {png}", eval.Out);
        Assert.True(File.ReadAllBytes(png).AsSpan().StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG");

        var jsonPng = work.File("json.png");
        var json = cli.Run("eval", "tiny-task", "--data", test, "--json", "--plot", jsonPng);
        Assert.True(json.ExitCode == 0, json.Error);
        using (JsonDocument.Parse(json.Out)) { }
        Assert.Contains($"wrote {jsonPng}", json.Error);
        Assert.True(File.Exists(jsonPng));

        var missing = Path.Combine(work.Path, "no-such-folder", "c.png");
        var refused = cli.Run("eval", "tiny-task", "--data", test, "--plot", missing);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("does not exist", refused.Error);
        Assert.Equal("", refused.Out);
    }
}
