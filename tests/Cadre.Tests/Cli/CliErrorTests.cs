using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

public sealed class CliErrorTests
{
    [Theory]
    [InlineData("frobnicate")]
    [InlineData("bench", "matmul", "--no-such-flag")]
    [InlineData("bench", "matmul", "--seconds", "abc")]
    public void BadCommandLinesGiveOneClearLineAndNonZeroExit(params string[] args)
    {
        using var home = new TempDir();
        var result = new CliRunner(home.Path).Run(args);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Error); // no stack trace
    }

    [Fact]
    public void HelpWorksOnEveryVerb()
    {
        using var home = new TempDir();
        var runner = new CliRunner(home.Path);
        foreach (var verb in CliVerbs.All)
        {
            var result = runner.Run([.. verb.Split(' '), "--help"]);
            Assert.True(result.ExitCode == 0, $"cadre {verb} --help exited {result.ExitCode}: {result.Error}");
            Assert.Contains("Usage:", result.Out);
        }
    }
}
