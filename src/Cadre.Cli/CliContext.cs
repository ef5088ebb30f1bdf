namespace Cadre.Cli;

/// <summary>What every verb needs from its surroundings: where to write, and where Cadre keeps its data.</summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr, string? home = null)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    /// <summary>True when stderr is a terminal of this process: progress bars are drawn only then.</summary>
    public bool Interactive => ReferenceEquals(Error, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>The given home (tests), else CADRE_HOME, else ~/.cadre.</summary>
    public string Home { get; } = home ?? CadreHome.Resolve();
}
