using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary><c>cadre serve</c> refuses bad settings with every problem at once, before anything loads or listens.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public void BadSettingsAreOneClearErrorListingEveryProblem()
    {
        using var home = new TempDir();
        var result = new CliRunner(home.Path).Run("serve", "--max-batch-rows", "0", "--batch-wait-ms", "5000", "--port", "70000", "--host", "example.com");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        foreach (var part in new[] { "max batch rows", "max batch wait", "port 70000", "host 'example.com'" })
            Assert.Contains(part, result.Error);
        Assert.Equal("", result.Out);
    }

    [Theory]
    [InlineData("x,10", "'x' is not a whole number")]
    [InlineData("0", "--counts must be positive")]
    public void BenchServeRefusesBadCountsBeforeDoingAnything(string counts, string message)
    {
        using var home = new TempDir();
        var result = new CliRunner(home.Path).Run("bench", "serve", "--counts", counts);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(Path.Combine(home.Path, "tmp")) && Directory.EnumerateFileSystemEntries(Path.Combine(home.Path, "tmp")).Any());
    }

    [Fact]
    public void HelpNamesTheServingOptions()
    {
        using var home = new TempDir();
        var result = new CliRunner(home.Path).Run("serve", "--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var option in new[] { "--host", "--port", "--max-batch-rows", "--batch-wait-ms", "--pool-budget-mb", "--timeout-s", "CADRE_ADMIN_TOKEN" })
            Assert.Contains(option, result.Out);
    }
}
