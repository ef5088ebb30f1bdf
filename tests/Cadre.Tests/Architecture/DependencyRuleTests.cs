using System.Text.RegularExpressions;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Architecture;

/// <summary>
/// The dependency rules of docs/architecture.md, checked on the sources so they cannot erode quietly:
/// Tensors depends on nothing of ours; Store and Merge only on Tensors; the shells hold no tensor code; the library
/// (Cadre.Core, a package) holds none of the experiments, which live in src/Cadre.Bench and need no web host.
/// </summary>
public sealed partial class DependencyRuleTests
{
    private static readonly string Source = Path.Combine(SharedData.RepositoryRoot, "src");

    public static TheoryData<string, string[]> Rules() => new()
    {
        { "Cadre/Tensors", ["Cadre.Models", "Cadre.Store", "Cadre.Merge", "Cadre.Training", "Cadre.Adapters", "Cadre.Serving", "Cadre.Routing", "Cadre.Tokenizers"] },
        { "Cadre/Store", ["Cadre.Models", "Cadre.Merge", "Cadre.Training", "Cadre.Adapters", "Cadre.Serving", "Cadre.Routing", "Cadre.Tokenizers", "TorchSharp.torch.nn", "nn.Module"] },
        { "Cadre/Merge", ["Cadre.Models", "Cadre.Store", "Cadre.Training", "Cadre.Adapters", "Cadre.Serving", "Cadre.Routing", "nn.Module"] },
        { "Cadre/Hub", ["Cadre.Merge", "Cadre.Training", "Cadre.Adapters", "Cadre.Serving", "Cadre.Routing", "Cadre.Tokenizers", "TorchSharp", "Tensor"] },
        { "Cadre.Cli", ["using TorchSharp", "using static TorchSharp", "TorchSharp.torch", "Tensor"] },
        { "Cadre.Server", ["using TorchSharp", "using static TorchSharp", "TorchSharp.torch", "Tensor"] },
        { "Cadre", ["Cadre.Benchmarks", "Cadre.Suites"] },
        { "Cadre.Bench", ["Cadre.Server", "Microsoft.AspNetCore"] },
    };

    [Theory]
    [InlineData("Cadre", "Benchmarks")]
    [InlineData("Cadre", "Suites")]
    [InlineData("Cadre.Server", "Bench")]
    public void ExperimentsStayOutOfTheLibraryAndTheServer(string project, string folder)
    {
        Assert.True(Directory.Exists(Path.Combine(Source, project)), $"src/{project} is missing");
        var path = Path.Combine(Source, project, folder);
        Assert.False(Directory.Exists(path) && Directory.EnumerateFiles(path, "*.cs", SearchOption.AllDirectories).Any(),
            $"src/{project}/{folder} holds code again: experiments belong in src/Cadre.Bench");
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void FolderDoesNotReachForbiddenNamespaces(string folder, string[] forbidden)
    {
        var path = Path.Combine(Source, folder);
        if (!Directory.Exists(path))
            return; // the folder does not exist yet; nothing to check
        var violations = new List<string>();
        foreach (var file in Directory.EnumerateFiles(path, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)))
        {
            var code = Strings().Replace(Comments().Replace(File.ReadAllText(file), ""), "\"\"");
            violations.AddRange(forbidden.Where(f => Regex.IsMatch(code, $@"\b{Regex.Escape(f)}\b"))
                .Select(f => $"{Path.GetRelativePath(Source, file)} uses {f}"));
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex Strings();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();
}
