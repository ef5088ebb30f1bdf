namespace Cadre.Cli.Commands;

/// <summary>
/// How to type <c>cadre</c> on this machine, so that the command lines the quickstart prints at its end run as typed:
/// <c>cadre</c> when it is on the PATH (the installed .NET tool), else the path of this build's own executable.
/// </summary>
internal static class HowToRun
{
    /// <summary>The README's optional set-up line (run from the repository folder) that puts <c>cadre</c> on the PATH.</summary>
    public const string InstallLine =
        "dotnet pack src/Cadre.Cli -c Release -o artifacts && dotnet tool install --global --add-source artifacts Cadre.Cli";

    private static string ExecutableName => OperatingSystem.IsWindows() ? "cadre.exe" : "cadre";

    /// <summary>True when a folder of <paramref name="pathVariable"/> holds an executable named cadre.</summary>
    public static bool OnPath(string? pathVariable)
    {
        foreach (var folder in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate;
            try
            {
                candidate = Path.Combine(folder, ExecutableName);
            }
            catch (ArgumentException)
            {
                continue; // a PATH entry with characters no path may hold
            }
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || IsExecutable(candidate)))
                return true;
        }
        return false;
    }

    /// <summary>
    /// This build's command: the apphost beside <paramref name="assembly"/> (cadre.dll), relative to
    /// <paramref name="workingFolder"/> when it lies below it, or <c>dotnet PATH/cadre.dll</c> where there is no apphost.
    /// </summary>
    public static string BuildCommand(string assembly, string workingFolder)
    {
        var apphost = Path.Combine(Path.GetDirectoryName(assembly)!, ExecutableName);
        var target = File.Exists(apphost) ? apphost : assembly;
        var relative = Path.GetRelativePath(workingFolder, target);
        var shown = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? target : relative;
        if (!shown.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
            shown = "." + Path.DirectorySeparatorChar + shown; // a bare name would be looked up on the PATH
        shown = Quote(shown);
        return target == assembly ? "dotnet " + shown : shown;
    }

    /// <summary>What to type for cadre here: "cadre", or this build's executable and how to install the tool.</summary>
    public static (string Command, string? Note) Resolve() =>
        OnPath(Environment.GetEnvironmentVariable("PATH"))
            ? ("cadre", null)
            : (BuildCommand(typeof(HowToRun).Assembly.Location, Environment.CurrentDirectory),
               "cadre is not on your PATH; to put it there, from the repository folder: " + InstallLine);

    private static string Quote(string path) =>
        path.Any(c => char.IsWhiteSpace(c) || "'\"$`\\!*?&;|<>()".Contains(c)) && !OperatingSystem.IsWindows()
            ? "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'"
            : path;

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool IsExecutable(string file) =>
        (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
