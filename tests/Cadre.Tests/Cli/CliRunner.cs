using Cadre.Cli;

namespace Cadre.Tests.Cli;

/// <summary>Runs the real command line in-process with its own CADRE_HOME and captured output.</summary>
public sealed class CliRunner(string home)
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public string Home { get; } = home;

    public Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CadreCli.Run(args, stdout, stderr, Home);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
