using System.Text.Json;
using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>The base verbs end to end on a tiny BERT checkpoint in the Hugging Face layout (no ../shared needed).</summary>
[Collection(TorchCollection.Name)]
public sealed class BaseCommandTests
{
    private static string TinyBert => Path.Combine(AppContext.BaseDirectory, "golden", "bert", "tiny-bert");

    [Fact]
    public void ImportListShowAndEmbedATinyBert()
    {
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        var import = cli.Run("base", "import", TinyBert, "--name", "tiny");
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains("imported base 'tiny': bert", import.Out);

        Assert.Contains("tiny", cli.Run("base", "list").Out);
        var show = cli.Run("base", "show", "tiny", "--json");
        using var record = JsonDocument.Parse(show.Out);
        Assert.Equal("bert", record.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(64, record.RootElement.GetProperty("content_hash").GetString()!.Length);
        Assert.True(record.RootElement.GetProperty("parameter_count").GetInt64() > 0);

        var embed = cli.Run("embed", "--base", "tiny", "--json", "hello world", "the cat");
        Assert.True(embed.ExitCode == 0, embed.Error);
        var lines = embed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("hello world", first.RootElement.GetProperty("text").GetString());
        var vector = first.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        using var model = BertModel.Load(TinyBert);
        var expected = model.Embed(["hello world"])[0];
        Assert.Equal(expected.Length, vector.Length);
        for (var i = 0; i < vector.Length; i++)
            Assert.Equal(expected[i], vector[i], 5);
    }

    [Fact]
    public void ReimportingTheSameWeightsGivesTheSameContentHash()
    {
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", TinyBert, "--name", "a").ExitCode);
        Assert.Equal(0, cli.Run("base", "import", TinyBert, "--name", "b").ExitCode);
        var again = cli.Run("base", "import", TinyBert, "--name", "a");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Error);
        string Hash(string n) => JsonDocument.Parse(cli.Run("base", "show", n, "--json").Out).RootElement.GetProperty("content_hash").GetString()!;
        Assert.Equal(Hash("a"), Hash("b"));
    }

    [Fact]
    public void EmbedReadsAnInputFile()
    {
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        Assert.Equal(0, cli.Run("base", "import", TinyBert, "--name", "tiny").ExitCode);
        File.WriteAllLines(home.File("in.txt"), ["one", "two", "three"]);
        var result = cli.Run("embed", "--base", "tiny", "--input", home.File("in.txt"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("unknown base 'nope'", "embed", "--base", "nope", "hi")]
    [InlineData("no texts", "embed", "--base", "nope")]
    [InlineData("file not found", "embed", "--base", "x", "--input", "/nonexistent/in.txt")]
    [InlineData("no such file or folder", "base", "import", "/nonexistent/model", "--name", "m")]
    [InlineData("invalid base name", "base", "import", "/tmp", "--name", "../evil")]
    [InlineData("unknown base 'ghost'", "base", "show", "ghost")]
    [InlineData("either a SOURCE path or --npm", "base", "import", "--name", "m")]
    [InlineData("--greedy cannot be combined", "generate", "--base", "x", "--greedy", "--seed", "3")]
    public void UserErrorsGiveOneLineAndExitOne(string expected, params string[] args)
    {
        using var home = new TempDir();
        var result = new CliRunner(home.Path).Run(args);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void PickledCheckpointIsRefusedWithoutBeingOpened()
    {
        using var home = new TempDir();
        var folder = Path.Combine(home.Path, "hf");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\": \"bert\"}");
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), [0x80, 0x02, 0x7d, 0x71]);
        var result = new CliRunner(Path.Combine(home.Path, "home")).Run("base", "import", folder, "--name", "p");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("safetensors", result.Error);
        Assert.False(Directory.Exists(Path.Combine(home.Path, "home", "bases", "p")));
    }
}
