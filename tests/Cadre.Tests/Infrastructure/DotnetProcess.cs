using System.Diagnostics;

namespace Cadre.Tests.Infrastructure;

/// <summary>
/// Runs the dotnet host (pack, restore, build) and the programs it makes as child processes, for the tests that
/// package the repository's projects and use them from outside it, offline.
/// </summary>
internal static class DotnetProcess
{
#if DEBUG
    /// <summary>The configuration this test run was built in: packing it needs no build.</summary>
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>The repository folder above the test's output folder that holds <paramref name="project"/>, if any.</summary>
    public static string? RepositoryRoot(string project)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Cadre.slnx")) && File.Exists(Path.Combine(d.FullName, project)))
                return d.FullName;
        return null;
    }

    /// <summary>The dotnet host: DOTNET_HOST_PATH, else the first dotnet on the PATH; null when there is none.</summary>
    public static string? Host()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>True when a failed pack or restore only could not reach a package source (no network): a skip, not a failure.</summary>
    public static bool Unreachable(string output) =>
        output.Contains("NU1101", StringComparison.Ordinal) || output.Contains("NU1301", StringComparison.Ordinal);

    /// <summary>Runs <paramref name="file"/> in <paramref name="folder"/>; exit code and stdout then stderr.</summary>
    public static (int Code, string Output) Run(string file, string folder, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        // A test run under `dotnet test` inherits MSBuild's variables, which would point a nested pack at that build.
        foreach (var variable in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(variable);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
