using System.Diagnostics;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>
/// The README's optional set-up line: the CLI packed as a .NET tool (with TorchSharp's native libraries) installs
/// into a tool path and runs, libtorch included. Packs the build this test run already made (no network, no rebuild
/// of the repository's output folders); installs from that package alone.
/// </summary>
public sealed class ToolPackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public void PackedToolInstallsIntoAToolPathAndRuns()
    {
        var repo = RepositoryRoot();
        if (repo is null)
            Assert.Skip("needs the repository's sources (src/Cadre.Cli) above the test's output folder");
        var dotnet = DotnetHost();
        if (dotnet is null)
            Assert.Skip("needs the dotnet host: neither DOTNET_HOST_PATH nor a dotnet on the PATH");
        using var dir = new TempDir();
        var packages = Path.Combine(dir.Path, "packages");
        var pack = Run(dotnet, repo, null, "pack", Path.Combine(repo, "src", "Cadre.Cli"), "--no-build", "-c", Configuration,
            "-o", packages, $"-p:PublishDir={Path.Combine(dir.Path, "publish")}{Path.DirectorySeparatorChar}");
        if (pack.Code != 0 && (pack.Output.Contains("NU1101", StringComparison.Ordinal) || pack.Output.Contains("NU1301", StringComparison.Ordinal)))
            Assert.Skip("dotnet pack could not reach a package it needs (offline?): " + pack.Output.Trim().Split('\n')[^1]);
        Assert.True(pack.Code == 0, "dotnet pack failed:\n" + pack.Output);

        // Only the package just made: the install must not depend on any other source.
        var config = Path.Combine(dir.Path, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="local" value="{packages}" /></packageSources>
            </configuration>
            """);
        var tools = Path.Combine(dir.Path, "tools");
        var install = Run(dotnet, dir.Path, null, "tool", "install", "--tool-path", tools, "--configfile", config, "Cadre.Cli");
        Assert.True(install.Code == 0, "dotnet tool install failed:\n" + install.Output);

        var cadre = Path.Combine(tools, OperatingSystem.IsWindows() ? "cadre.exe" : "cadre");
        var home = Path.Combine(dir.Path, "home");
        var help = Run(cadre, dir.Path, home, "--help");
        Assert.True(help.Code == 0, help.Output);
        Assert.Contains("quickstart", help.Output);
        var list = Run(cadre, dir.Path, home, "base", "list");
        Assert.True(list.Code == 0, list.Output);
        Assert.Contains("no bases imported yet", list.Output);
        // Loads libtorch through the installed copy of TorchSharp's native libraries.
        var matmul = Run(cadre, dir.Path, home, "bench", "matmul", "--seconds", "0.01");
        Assert.True(matmul.Code == 0, matmul.Output);
        Assert.Contains("GFLOP/s", matmul.Output);
    }

    private static string? RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Cadre.slnx")) && File.Exists(Path.Combine(d.FullName, "src", "Cadre.Cli", "Cadre.Cli.csproj")))
                return d.FullName;
        return null;
    }

    private static string? DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, name)).FirstOrDefault(File.Exists);
    }

    private static (int Code, string Output) Run(string file, string folder, string? home, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        if (home is not null)
            start.Environment["CADRE_HOME"] = home;
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
