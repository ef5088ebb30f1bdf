using Cadre.Cli.Commands;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>The quickstart's closing hints say "cadre" only where that runs as typed; else this build's executable.</summary>
public sealed class HowToRunTests
{
    [Fact]
    public void AnExecutableCadreOnThePathCounts()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, OperatingSystem.IsWindows() ? "cadre.exe" : "cadre");
        File.WriteAllText(file, "#!/bin/sh\n");
        var path = string.Join(Path.PathSeparator, "/nonexistent-folder", dir.Path);
        if (!OperatingSystem.IsWindows())
        {
            Assert.False(HowToRun.OnPath(path)); // not executable: a shell would not run it
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Assert.True(HowToRun.OnPath(path));
        Assert.False(HowToRun.OnPath("/nonexistent-folder"));
        Assert.False(HowToRun.OnPath(null));
    }

    [Fact]
    public void WithoutItTheHintNamesThisBuildsExecutable()
    {
        using var dir = new TempDir();
        var bin = Path.Combine(dir.Path, "src", "bin");
        Directory.CreateDirectory(bin);
        var assembly = Path.Combine(bin, "cadre.dll");
        File.WriteAllText(assembly, "");
        // No apphost: run the assembly through dotnet.
        Assert.Equal("dotnet " + Path.Combine("src", "bin", "cadre.dll"), HowToRun.BuildCommand(assembly, dir.Path));
        var apphost = Path.Combine(bin, OperatingSystem.IsWindows() ? "cadre.exe" : "cadre");
        File.WriteAllText(apphost, "");
        Assert.Equal(Path.Combine("src", "bin", Path.GetFileName(apphost)), HowToRun.BuildCommand(assembly, dir.Path));
        Assert.Equal("." + Path.DirectorySeparatorChar + Path.GetFileName(apphost), HowToRun.BuildCommand(assembly, bin));
        using var elsewhere = new TempDir();
        Assert.Equal(apphost, HowToRun.BuildCommand(assembly, elsewhere.Path)); // outside the working folder: absolute
    }

    [Fact]
    public void ThisTestRunsHintIsRunnableAndSaysHowToInstall()
    {
        var (command, note) = HowToRun.Resolve();
        if (note is null)
            Assert.Equal("cadre", command);
        else
        {
            Assert.Contains("dotnet tool install", note);
            var file = command.StartsWith("dotnet ", StringComparison.Ordinal) ? command["dotnet ".Length..] : command;
            Assert.True(File.Exists(Path.GetFullPath(file.Trim('\''))), file);
        }
    }
}
