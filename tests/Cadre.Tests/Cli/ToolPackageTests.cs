using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>
/// The README's optional set-up line: the CLI packed as a .NET tool (with TorchSharp's native libraries) installs
/// into a tool path and runs, libtorch included. Packs the build this test run already made (no network, no rebuild
/// of the repository's output folders); installs from that package alone.
/// </summary>
public sealed class ToolPackageTests
{
    [Fact]
    public void PackedToolInstallsIntoAToolPathAndRuns()
    {
        var repo = DotnetProcess.RepositoryRoot(Path.Combine("src", "Cadre.Cli", "Cadre.Cli.csproj"));
        if (repo is null)
            Assert.Skip("needs the repository's sources (src/Cadre.Cli) above the test's output folder");
        var dotnet = DotnetProcess.Host();
        if (dotnet is null)
            Assert.Skip("needs the dotnet host: neither DOTNET_HOST_PATH nor a dotnet on the PATH");
        using var dir = new TempDir();
        var packages = Path.Combine(dir.Path, "packages");
        var pack = Run(dotnet, repo, null, "pack", Path.Combine(repo, "src", "Cadre.Cli"), "--no-build", "-c", DotnetProcess.Configuration,
            "-o", packages, $"-p:PublishDir={Path.Combine(dir.Path, "publish")}{Path.DirectorySeparatorChar}");
        if (pack.Code != 0 && DotnetProcess.Unreachable(pack.Output))
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

    private static (int Code, string Output) Run(string file, string folder, string? home, params string[] args) =>
        DotnetProcess.Run(file, folder, home is null ? null : new Dictionary<string, string> { ["CADRE_HOME"] = home }, args);
}
