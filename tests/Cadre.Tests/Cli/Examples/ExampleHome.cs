using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli.Examples;

/// <summary>
/// A tiny CADRE_HOME in which the documented command lines run offline, and the table that turns their placeholders
/// into things that exist here. The base <c>use-lite</c> is the tiny test BERT imported under that name (the lines
/// test the command line, not the model); specialists <c>a</c> (cadre.yaml) and <c>b</c> (b.yaml) are rank-2 LoRA on it, trained once. REV is <c>main</c>,
/// so the history lines leave the home on its branch for the lines after them.
/// </summary>
public sealed class ExampleHome : IDisposable
{
    private readonly TempDir _home = new(), _work = new(), _other = new();

    public CliRunner Cli { get; }

    /// <summary>Placeholder → value. Words not in the table are used as typed; <c>X@Y</c> maps both sides.</summary>
    public IReadOnlyDictionary<string, string> Table { get; }

    public ExampleHome()
    {
        Cli = new CliRunner(_home.Path);
        var work = _work.Path;
        TinyTask.WriteTsv(Path.Combine(work, "data.tsv"), 120, 1);
        TinyTask.WriteTsv(Path.Combine(work, "test.tsv"), 40, 2);
        TinyTask.WriteTsv(Path.Combine(work, "few.tsv"), 16, 3);
        // b, a second task (whether a sentence says "not"), comes from its own spec so that cadre.yaml declares one.
        File.WriteAllLines(Path.Combine(work, "b.tsv"), new[] { "text\tlabel" }.Concat(
            TinyTask.Rows(120, 4).Select((r, i) => i % 2 == 0 ? $"{r.Text} not\tnegated" : $"{r.Text}\tplain")));
        const string training = "training: {epochs: 2, learning_rate: 1e-2, batch_size: 16, early_stopping: 0}";
        File.WriteAllText(Path.Combine(work, "cadre.yaml"), $$"""
            specialists:
              - name: a
                base: use-lite
                data: {train: data.tsv, test: test.tsv}
                adapter: {method: lora, r: 2}
                {{training}}
            """);
        File.WriteAllText(Path.Combine(work, "b.yaml"), $$"""
            specialists:
              - name: b
                base: use-lite
                data: {train: b.tsv}
                adapter: {method: lora, r: 2}
                {{training}}
            """);
        File.WriteAllText(Path.Combine(work, "merge.yaml"), """
            name: ab-file
            method: ties
            inputs: [a, b]
            parameters: {density: 0.5, lambda: 1}
            evaluate: false
            """);
        Table = new Dictionary<string, string>
        {
            ["NAME"] = "a", ["REV"] = "main", ["NEW"] = "retry", ["TAG"] = "first", ["ROUTER"] = "default",
            ["FILE"] = Path.Combine(work, "data.tsv"), ["FEW.tsv"] = Path.Combine(work, "few.tsv"),
            ["TEXT_COL"] = "text", ["LABEL_COL"] = "label",
            ["DIR"] = Path.Combine(work, "export"), ["BUNDLE"] = Path.Combine(work, "a.bundle"), ["OTHER_HOME"] = _other.Path,
            ["path/to/hf-bert-folder"] = TinyTask.TinyBert,
            // Relative paths of the examples, placed in the scratch folder instead of the test's working directory.
            ["cadre.yaml"] = Path.Combine(work, "cadre.yaml"), ["merge.yaml"] = Path.Combine(work, "merge.yaml"),
            ["curated/"] = Path.Combine(work, "curated"), ["restored.tsv"] = Path.Combine(work, "restored.tsv"),
            ["report.html"] = Path.Combine(work, "report.html"), ["confusion.png"] = Path.Combine(work, "confusion.png"),
            ["R"] = "8", // a LoRA rank (bench merge --rank R)
        };
    }

    /// <summary>Imports the base and trains a and b (version 1 of each): what the lines that run need.</summary>
    public ExampleHome Prepare()
    {
        Require(Cli.Run("base", "import", TinyTask.TinyBert, "--name", "use-lite"));
        Require(Cli.Run("train", Table["cadre.yaml"]));
        Require(Cli.Run("train", Path.Combine(_work.Path, "b.yaml")));
        return this;
    }

    public string[] Substitute(IEnumerable<string> words) => [.. words.Select(Substitute)];

    private string Substitute(string word)
    {
        if (Table.TryGetValue(word, out var value)) return value;
        var at = word.IndexOf('@', StringComparison.Ordinal);
        return at > 0 ? Substitute(word[..at]) + "@" + Substitute(word[(at + 1)..]) : word;
    }

    private static void Require(CliRunner.Result r) => Assert.True(r.ExitCode == 0, r.Error);

    public void Dispose()
    {
        _home.Dispose();
        _work.Dispose();
        _other.Dispose();
    }
}
