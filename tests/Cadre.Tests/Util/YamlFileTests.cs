using Cadre.Composition;
using Cadre.Suites;
using Cadre.Tests.Infrastructure;
using Cadre.Specs;
using Cadre.Util;

namespace Cadre.Tests.Util;

/// <summary>Every YAML settings file (spec, merge, suite) is read by one helper: the same refusals, in the same words.</summary>
public sealed class YamlFileTests
{
    public static TheoryData<string, string> Loaders() => new()
    {
        { "spec", "a spec" }, { "merge", "a merge file" }, { "suite", "a suite file" },
    };

    private static void Load(string kind, string path)
    {
        switch (kind)
        {
            case "spec": SpecFile.Load(path); break;
            case "merge": MergeFile.Load(path); break;
            default: SuiteFile.Load(path); break;
        }
    }

    [Theory]
    [MemberData(nameof(Loaders))]
    public void MissingOversizedAndUnparsableFilesAreOneLineWithThePath(string kind, string what)
    {
        using var dir = new TempDir();
        var path = dir.File(kind + ".yaml");
        Assert.Equal($"{path}: file not found", Assert.Throws<CadreException>(() => Load(kind, path)).Message);
        File.WriteAllText(path, "# " + new string('x', (int)YamlFile.MaxBytes));
        Assert.Equal($"{path}: larger than {YamlFile.MaxBytes} bytes; not {what}", Assert.Throws<CadreException>(() => Load(kind, path)).Message);
        File.WriteAllText(path, "a: 1\nb: [\n");
        var e = Assert.Throws<CadreException>(() => Load(kind, path));
        Assert.StartsWith($"{path}: not valid YAML (line ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void EveryProblemOfAFileIsListedInOneError()
    {
        using var dir = new TempDir();
        var path = dir.File("m.yaml");
        File.WriteAllText(path, "name: m\nmethod: ties\ninputs: [a, b]\nrnak: 4\nparameters: {densty: 0.3}\n");
        var e = Assert.Throws<CadreException>(() => MergeFile.Load(path));
        Assert.StartsWith($"{path}: 2 problem(s):\n  ", e.Message);
        Assert.Contains("merge.rnak: unknown key (line 4); did you mean 'rank'?", e.Message);
        Assert.Contains("parameters.densty: unknown key (line 5); did you mean 'density'?", e.Message);
    }
}
