namespace Cadre.Cli;

/// <summary>What every verb needs from its surroundings: where to write, and where Cadre keeps its data.</summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    /// <summary>CADRE_HOME, or ~/.cadre.</summary>
    public string Home => CadreHome.Resolve();
}
