using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>
/// README.md's "Use Cadre from .NET": Cadre.Core packed as a NuGet package (id, description, README, dependencies,
/// the native-library fix for consumers), then a console project outside the repository whose Program.cs is the
/// README's C# block as written, restored offline from that package alone (its dependencies from this machine's NuGet
/// cache), built and run against a tiny home. Its predictions must be the ones <c>cadre predict</c> gives for the
/// specialist it stored.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed partial class LibraryPackageTests
{
    private const string Section = "## Use Cadre from .NET";

    /// <summary>The first csharp block after <paramref name="heading"/> in a markdown file, as its lines.</summary>
    private static string CodeBlock(string markdown, string heading)
    {
        var text = File.ReadAllText(markdown).ReplaceLineEndings("\n");
        var at = text.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(at >= 0, $"{markdown} has no section '{heading}'");
        var match = CSharpBlock().Match(text, at);
        Assert.True(match.Success, $"{markdown}: no ```csharp block after '{heading}'");
        return match.Groups[1].Value;
    }

    [Fact]
    public void ThePackageReadmeShowsTheSameExample()
    {
        var repo = SharedData.FindRepositoryRoot();
        Assert.Equal(CodeBlock(Path.Combine(repo, "README.md"), Section), CodeBlock(Path.Combine(repo, "src", "Cadre", "README.md"), "## Use it"));
    }

    [Fact]
    public void ThePackedLibraryRunsTheReadmeExample()
    {
        var repo = DotnetProcess.RepositoryRoot(Path.Combine("src", "Cadre", "Cadre.csproj"));
        if (repo is null)
            Assert.Skip("needs the repository's sources (src/Cadre) above the test's output folder");
        var dotnet = DotnetProcess.Host();
        if (dotnet is null)
            Assert.Skip("needs the dotnet host: neither DOTNET_HOST_PATH nor a dotnet on the PATH");
        var program = CodeBlock(Path.Combine(repo, "README.md"), Section);
        using var dir = new TempDir();

        // The build this test run already made, packed as the README says (no rebuild of the repository's folders).
        var packages = Path.Combine(dir.Path, "packages");
        var pack = DotnetProcess.Run(dotnet, repo, null, "pack", Path.Combine(repo, "src", "Cadre"), "--no-build", "-c", DotnetProcess.Configuration, "-o", packages);
        if (pack.Code != 0 && DotnetProcess.Unreachable(pack.Output))
            Assert.Skip("dotnet pack could not reach a package it needs (offline?): " + pack.Output.Trim().Split('\n')[^1]);
        Assert.True(pack.Code == 0, "dotnet pack failed:\n" + pack.Output);
        var nupkg = Assert.Single(Directory.GetFiles(packages, "Cadre.Core.*.nupkg"));
        var version = CheckPackage(nupkg, program);

        // A consumer outside the repository: none of its Directory.Build files, its own package folder (so this run's
        // package is the one extracted, never an older copy of the same version), the machine's cache for the rest.
        var app = Directory.CreateDirectory(Path.Combine(dir.Path, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Cadre.Core" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="local" value="{packages}" /></packageSources>
              <fallbackPackageFolders><clear /><add key="machine" value="{MachinePackages(dotnet, dir.Path)}" /></fallbackPackageFolders>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
        var ownPackages = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir.Path, "nuget") };
        var build = DotnetProcess.Run(dotnet, app, ownPackages, "build", "-c", "Release");
        if (build.Code != 0 && DotnetProcess.Unreachable(build.Output))
            Assert.Skip("the consumer's restore needs a package this machine's NuGet cache lacks (offline?): " + build.Output.Trim().Split('\n')[^1]);
        Assert.True(build.Code == 0, "building the README's example failed:\n" + build.Output);

        // The tiny test BERT stands in for use-lite (the example tests the library's calls, not the model).
        var home = Path.Combine(dir.Path, "home");
        var cli = new CliRunner(home);
        var import = cli.Run("base", "import", TinyTask.TinyBert, "--name", "use-lite");
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains("\"topics.tsv\"", program, StringComparison.Ordinal);
        TinyTask.WriteTsv(Path.Combine(app, "topics.tsv"), 120, 1);
        var run = DotnetProcess.Run(dotnet, app, new Dictionary<string, string> { ["CADRE_HOME"] = home, ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" },
            Path.Combine(app, "bin", "Release", "net10.0", "app.dll"));
        Assert.True(run.Code == 0, "the README's example failed:\n" + run.Output);

        var lines = run.Output.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.StartsWith("stored topics version 1, validation accuracy ", lines[0], StringComparison.Ordinal);
        var predicted = lines[1..].Select(l => l.Split('\t')).ToList();
        Assert.True(predicted.Count >= 1 && predicted.All(p => p.Length == 3), run.Output);
        // The command line, reading the same home, gives the same answers for the stored specialist.
        var predict = cli.Run(["predict", "topics", .. predicted.Select(p => p[2])]);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var expected = predict.Out.ReplaceLineEndings("\n").TrimEnd().Split('\n').Select(l => l.Split('\t')).ToList();
        Assert.Equal(expected.Count, predicted.Count);
        foreach (var (mine, cadre) in predicted.Zip(expected))
        {
            Assert.Equal(cadre[0], mine[0]); // label
            Assert.Equal(double.Parse(cadre[1], CultureInfo.InvariantCulture), double.Parse(mine[1], CultureInfo.InvariantCulture), 0.002);
            Assert.Equal(cadre[2], mine[2]);
        }
    }

    /// <summary>The package's metadata and files; returns its version.</summary>
    private static string CheckPackage(string nupkg, string program)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        XNamespace ns;
        XElement metadata;
        using (var nuspec = zip.GetEntry("Cadre.Core.nuspec")!.Open())
        {
            var root = XDocument.Load(nuspec).Root!;
            ns = root.Name.Namespace;
            metadata = root.Element(ns + "metadata")!;
        }
        Assert.Equal("Cadre.Core", metadata.Element(ns + "id")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        using (var readme = new StreamReader(zip.GetEntry("README.md")!.Open()))
            Assert.Contains(program, readme.ReadToEnd().ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
        string[] torch = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64
            ? ["TorchSharp", "libtorch-cpu-linux-x64"] : ["TorchSharp-cpu"];
        foreach (var id in torch.Concat(["Parquet.Net", "Microsoft.ML.Tokenizers", "YamlDotNet", "ScottPlot"]))
            Assert.Contains(id, dependencies);
        Assert.Contains("lib/net10.0/Cadre.Core.dll", names);
        Assert.Contains("buildTransitive/Cadre.Core.targets", names);
        Assert.Contains("buildTransitive/WeakenGlibcxxRequirement.cs", names);
        // The experiments stay out of the library (src/Cadre.Bench).
        Assert.DoesNotContain(names, n => n.Contains("Cadre.Bench", StringComparison.Ordinal));
        return metadata.Element(ns + "version")!.Value;
    }

    /// <summary>This machine's NuGet package folder, where the repository's restore put every dependency.</summary>
    private static string MachinePackages(string dotnet, string folder)
    {
        var locals = DotnetProcess.Run(dotnet, folder, null, "nuget", "locals", "global-packages", "--list");
        Assert.True(locals.Code == 0, locals.Output);
        var line = locals.Output.Split('\n').Single(l => l.StartsWith("global-packages:", StringComparison.Ordinal));
        return line["global-packages:".Length..].Trim();
    }

    [GeneratedRegex(@"\n```csharp\n(.*?\n)```\n", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
