using System.Text.Json;
using Cadre.Tests.Infrastructure;
using Cadre.Tests.Models.UseLite;

namespace Cadre.Tests.Cli;

/// <summary>The CLI on the real models in ../shared (skipped, saying why, where it is absent).</summary>
[Collection(TorchCollection.Name)]
public sealed class SharedModelCommandTests
{
    [Fact]
    public void GenerateGreedyPrintsTheDocumentedStoriesOutput()
    {
        var folder = SharedData.Require("models/stories260k");
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", folder, "--name", "stories260k").ExitCode);
        var result = cli.Run("generate", "--base", "stories260k", "--max-tokens", "80", "--greedy");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(File.ReadAllText(Path.Combine(folder, "expected-greedy.txt")), result.Out);
    }

    [Fact]
    public void SeededSamplingRepeatsAndSeedsDiffer()
    {
        var folder = SharedData.Require("models/stories260k");
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", Path.Combine(folder, "stories260K.bin"), "--name", "s").ExitCode);
        string Sample(string seed) => cli.Run("generate", "--base", "s", "Once", "--max-tokens", "40", "--temperature", "0.9", "--top-p", "0.9", "--seed", seed).Out;
        Assert.Equal(Sample("7"), Sample("7"));
        Assert.NotEqual(Sample("7"), Sample("8"));
    }

    [Fact]
    public void EmbedMatchesTheUseLiteReference()
    {
        var package = SharedData.Require(UseLiteFixture.PackagePath);
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", package, "--name", "use-lite").ExitCode);
        var golden = UseLiteGolden.Load();
        var result = cli.Run("embed", "--base", "use-lite", "--json", golden.Texts[0], golden.Texts[1]);
        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < 2; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var v = doc.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var (cos, diff) = UseLiteParityTests.Compare(v, golden.Embeddings[i]);
            Assert.True(cos >= 0.9999 && diff <= 1e-4, $"cosine {cos}, max diff {diff}");
        }
    }

    [Fact]
    public void QuickstartRunsFromALocalPackage()
    {
        var package = SharedData.Require(UseLiteFixture.PackagePath);
        using var home = new TempDir();
        using var packages = new TempDir();
        Cadre.Tests.Data.SamplePackages.Write(packages.Path);
        var result = new CliRunner(home.Path).Run("quickstart", "--from", package, "--data-from", packages.Path);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("The weather is lovely today.", result.Out);
        Assert.Contains("-> It's so sunny outside!", result.Out);
        Assert.Contains("training 'spam' (lora on use-lite)", result.Out);
        Assert.Contains("training 'sotu-era' (lora on use-lite)", result.Out);
        Assert.Matches(@"spam\s+spam\s+0\.\d\d  Congratulations", result.Out); // the obvious spam is caught
        Assert.Equal(2, new Cadre.Specialists.SpecialistCatalog(home.Path).List().Count);
        Assert.Contains("cadre serve --port 8080", result.Out); // it ends by saying how to serve what it trained
    }
}
