using Cadre.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>A mistyped verb, subcommand, option or method name is answered with the closest real one.</summary>
[Collection(TorchCollection.Name)]
public sealed class DidYouMeanTests
{
    [Theory]
    [InlineData("did you mean 'train'?", "trian")]
    [InlineData("did you mean 'import'?", "base", "improt")]
    [InlineData("did you mean 'check'?", "data", "chekc", "x.tsv")]
    [InlineData("did you mean '--skip-invalid'?", "train", "x.yaml", "--skip-invalidd")]
    [InlineData("did you mean '--json'?", "base", "list", "--jsno")]
    public void AMistypedVerbOrOptionIsNamed(string expected, params string[] args)
    {
        using var home = new TempDir();
        var r = new CliRunner(home.Path).Run(args);
        Assert.Equal(CadreCli.UsageError, r.ExitCode);
        var first = r.Error.Split('\n')[0];
        Assert.StartsWith("error: Unrecognized command or argument", first);
        Assert.EndsWith(expected, first);
    }

    [Fact]
    public void NothingCloseSuggestsNothing()
    {
        using var home = new TempDir();
        var r = new CliRunner(home.Path).Run("frobnicate");
        Assert.DoesNotContain("did you mean", r.Error);
    }

    [Fact]
    public void AMistypedAdapterMergeOrRoutingMethodIsNamed()
    {
        using var dir = new TempDir();
        var cli = new CliRunner(dir.File("home"));
        var spec = TinyTask.Prepare(cli, dir.Path, adapter: "method: lorra");
        var train = cli.Run("train", spec);
        Assert.Equal(CadreCli.UserError, train.ExitCode);
        Assert.Contains("adapter.method: 'lorra' is not one of head, lora, ia3, prompt, full; did you mean 'lora'?", train.Error);

        var merge = cli.Run("merge", "--method", "tiess", "--inputs", "a,b", "-o", "ab");
        Assert.Equal(CadreCli.UserError, merge.ExitCode);
        Assert.Contains("did you mean 'ties'?", merge.Error);

        var router = cli.Run("router", "build", "--method", "lerned");
        Assert.Equal(CadreCli.UsageError, router.ExitCode);
        Assert.StartsWith("error: --method: 'lerned' is not one of prototype, learned; did you mean 'learned'?\n", router.Error);
    }
}
