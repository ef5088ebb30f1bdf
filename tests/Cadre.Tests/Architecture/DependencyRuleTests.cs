using System.Text.RegularExpressions;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Architecture;

/// <summary>
/// The dependency rules of docs/architecture.md, checked on the sources so they cannot erode quietly. The library's
/// folders (src/Cadre/X, namespace Cadre.X) and the arrows allowed between them are written once here, in
/// <see cref="Arrows"/>, and drawn in docs/architecture.md: the arrows form no cycle, every folder is placed, every
/// file's namespace is its folder's, and no file reaches a folder its own does not point to, by <c>using</c>, by a
/// qualified name (<c>Cadre.X.Y</c>), or by a partly qualified one (<c>X.Y</c> inside <c>Cadre.*</c>, where Y is a
/// type or namespace that folder declares). Besides: Store and Merge see no modules, Hub and the shells hold no tensor code, and the library (Cadre.Core,
/// a package) holds none of the experiments, which live in src/Cadre.Bench and need no web host.
/// </summary>
public sealed partial class DependencyRuleTests
{
    private static readonly string Source = Path.Combine(SharedData.RepositoryRoot, "src");

    public static TheoryData<string, string[]> Rules() => new()
    {
        // Folder arrows are checked by FoldersUseOnlyTheFoldersTheyPointTo; these are finer rules.
        { "Cadre/Store", ["TorchSharp.torch.nn", "nn.Module"] },
        { "Cadre/Merge", ["TorchSharp.torch.nn", "nn.Module"] },
        { "Cadre/Hub", ["TorchSharp", "Tensor"] },
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
            var code = Code(file);
            violations.AddRange(forbidden.Where(f => Regex.IsMatch(code, $@"\b{Regex.Escape(f)}\b"))
                .Select(f => $"{Path.GetRelativePath(Source, file)} uses {f}"));
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>Each folder and the folders it may use; bottom first.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Arrows = new Dictionary<string, string[]>
    {
        ["Util"] = [],
        ["Tensors"] = [],
        ["Data"] = ["Util"],
        ["Embeddings"] = ["Util"],
        ["Tokenizers"] = ["Util"],
        ["Store"] = ["Tensors", "Util"],
        ["Merge"] = ["Tensors", "Util"],
        ["Models"] = ["Tokenizers", "Store", "Tensors", "Util"],
        ["Hub"] = ["Models", "Store", "Util"],
        ["Adapters"] = ["Models", "Data", "Tensors", "Util"],
        ["Tasks"] = ["Adapters", "Models", "Data", "Tensors", "Util"],
        ["Specs"] = ["Tasks", "Adapters", "Data", "Util"],
        ["Specialists"] = ["Specs", "Tasks", "Adapters", "Models", "Merge", "Store", "Data", "Tensors", "Util"],
        ["Training"] = ["Specialists", "Specs", "Tasks", "Adapters", "Models", "Store", "Data", "Embeddings", "Tensors", "Util"],
        ["Routing"] = ["Training", "Specialists", "Specs", "Tasks", "Models", "Store", "Data", "Embeddings", "Tensors", "Util"],
        ["Composition"] = ["Routing", "Training", "Specialists", "Specs", "Tasks", "Adapters", "Models", "Merge", "Store", "Data", "Tensors", "Util"],
        ["Serving"] = ["Routing", "Specialists", "Tasks", "Adapters", "Models", "Store", "Data", "Tensors", "Util"],
    };

    private static readonly string Library = Path.Combine(SharedData.RepositoryRoot, "src", "Cadre");

    [Fact]
    public void ArrowsFormNoCycle()
    {
        var placed = new List<string>();
        var left = Arrows.Keys.ToHashSet();
        while (left.Count > 0)
        {
            var next = left.Where(f => Arrows[f].All(placed.Contains)).OrderBy(f => f, StringComparer.Ordinal).ToList();
            Assert.True(next.Count > 0, $"the allowed arrows among {string.Join(", ", left.Order())} form a cycle");
            placed.AddRange(next);
            left.ExceptWith(next);
        }
        Assert.All(Arrows.Values.SelectMany(v => v), to => Assert.Contains(to, Arrows.Keys));
    }

    [Fact]
    public void EveryFolderIsPlaced()
    {
        var folders = Folders().ToList();
        Assert.Empty(folders.Where(f => !Arrows.ContainsKey(f)).Select(f => $"src/Cadre/{f} is not in DependencyRuleTests.Arrows"));
        Assert.Empty(Arrows.Keys.Where(f => !folders.Contains(f)).Select(f => $"Arrows names {f}, which src/Cadre does not have"));
    }

    [Fact]
    public void EveryFileIsInItsFoldersNamespace()
    {
        var wrong = new List<string>();
        foreach (var file in Sources(Library))
        {
            var relative = Path.GetRelativePath(Library, file);
            var folder = relative.Contains(Path.DirectorySeparatorChar) ? relative[..relative.IndexOf(Path.DirectorySeparatorChar)] : null;
            var expected = folder is null ? "Cadre" : "Cadre." + folder;
            foreach (Match m in NamespaceLine().Matches(File.ReadAllText(file)))
                if (m.Groups[1].Value != expected && !m.Groups[1].Value.StartsWith(expected + ".", StringComparison.Ordinal))
                    wrong.Add($"{relative} declares namespace {m.Groups[1].Value}, not {expected}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void FoldersUseOnlyTheFoldersTheyPointTo()
    {
        var declared = Folders().ToDictionary(f => f, DeclaredNames);
        var violations = new List<string>();
        foreach (var folder in Folders().Where(Arrows.ContainsKey))
            foreach (var file in Sources(Path.Combine(Library, folder)))
            {
                var code = Code(file);
                foreach (var other in declared.Keys.Where(o => o != folder && !Arrows[folder].Contains(o)))
                    if (Uses(code, other, declared[other]) is { } how)
                        violations.Add($"{Path.GetRelativePath(Library, file)} uses {other} ({how}); {folder} may use {string.Join(", ", Arrows[folder])}");
            }
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <summary>How <paramref name="code"/> reaches folder <paramref name="other"/>, or null if it does not.</summary>
    internal static string? Uses(string code, string other, IReadOnlySet<string> names)
    {
        var qualified = Regex.Match(code, $@"\bCadre\.{other}\b");
        if (qualified.Success) return qualified.Value;
        foreach (Match m in Regex.Matches(code, $@"(?<![\w.]){other}\.(\w+)"))
            if (names.Contains(m.Groups[1].Value))
                return m.Value;
        return null;
    }

    /// <summary>The types declared in namespace Cadre.X and its first-level sub-namespaces: what <c>X.Name</c> can mean.</summary>
    private static HashSet<string> DeclaredNames(string folder)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Sources(Path.Combine(Library, folder)))
        {
            var code = Code(file);
            foreach (Match n in NamespaceLine().Matches(code))
            {
                var parts = n.Groups[1].Value.Split('.');
                if (parts.Length > 2) names.Add(parts[2]);
                else foreach (Match t in TypeDeclaration().Matches(code)) names.Add(t.Groups[1].Value);
            }
        }
        return names;
    }

    private static IEnumerable<string> Folders() => Directory.EnumerateDirectories(Library)
        .Select(Path.GetFileName).OfType<string>().Where(n => n is not ("bin" or "obj") && Sources(Path.Combine(Library, n)).Any());

    internal static IEnumerable<string> Sources(string path) => Directory.EnumerateFiles(path, "*.cs", SearchOption.AllDirectories)
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>The file without comments and with every string literal emptied.</summary>
    internal static string Code(string file) => Strings().Replace(Comments().Replace(File.ReadAllText(file), ""), "\"\"");

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record(?:\s+(?:class|struct))?)\s+(?!with\b)(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex Strings();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();
}
