using System.Security.Cryptography;
using System.Text.Json;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary><c>cadre data check|curate|undo</c> end to end on the tiny BERT base and a task with planted problems.</summary>
[Collection(TorchCollection.Name)]
public sealed class DataCommandTests
{
    /// <summary>Rows whose labels were flipped in train.tsv (0-based example index → line = index + 2).</summary>
    private static readonly int[] Flipped = [3, 10, 17, 24, 31, 38, 45, 52, 59, 66, 73, 80];

    private static (CliRunner Cli, string Train, string Test, string Spec) Prepare(TempDir dir)
    {
        var cli = new CliRunner(dir.File("home"));
        Assert.Equal(0, cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var rows = TinyTask.Rows(200, 5).Select((r, i) => (r.Text, Flipped.Contains(i) ? (r.Label == "animal" ? "color" : "animal") : r.Label)).ToList();
        rows.Add(("<script>alert('x')</script> the cat sat", "animal"));
        var train = dir.File("train.tsv");
        File.WriteAllLines(train, new[] { "text\tlabel" }.Concat(rows.Select(r => $"{r.Item1}\t{r.Item2}")));
        var test = dir.File("test.tsv");
        File.WriteAllLines(test, new[] { "text\tlabel", $"{rows[0].Item1}\t{rows[0].Item2}", "a completely new blue thing\tcolor" });
        var spec = dir.File("cadre.yaml");
        File.WriteAllText(spec, """
            specialists:
              - name: tiny-task
                base: tiny
                data: {train: train.tsv, test: test.tsv}
                adapter: {method: head}
            """);
        return (cli, train, test, spec);
    }

    [Fact]
    public void CheckFindsFlippedLabelsDuplicatesAndLeaksAndWritesEscapedHtml()
    {
        using var dir = new TempDir();
        var (cli, train, test, _) = Prepare(dir);
        var html = dir.File("report.html");
        var r = cli.Run("data", "check", train, "--base", "tiny", "--test", test, "--json", "--html", html);
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        var issues = root.GetProperty("label_issues").EnumerateArray().ToList();
        var flippedLines = Flipped.Select(i => i + 2).ToHashSet();
        var found = issues.Where(i => flippedLines.Contains(i.GetProperty("line").GetInt32())).ToList();
        Assert.True(found.Count >= Flipped.Length / 2, $"found {found.Count} of {Flipped.Length} flips among {issues.Count} issues");
        Assert.True(found.Count >= issues.Count / 2, $"precision: {found.Count} of {issues.Count} issues are flips");
        foreach (var i in found) // the suggestion is the label before the flip
            Assert.NotEqual(i.GetProperty("given").GetString(), i.GetProperty("suggested").GetString());
        var scores = issues.Select(i => i.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.Order(), scores); // ranked by self-confidence, lowest first
        Assert.NotEmpty(root.GetProperty("exact_duplicates").EnumerateArray());
        var leak = root.GetProperty("leaks").EnumerateArray().First();
        Assert.Equal("exact", leak.GetProperty("kind").GetString());
        Assert.Equal(2, leak.GetProperty("line").GetInt32());
        foreach (var stage in new[] { "read", "embed", "out-of-fold probabilities", "confident learning", "outliers" })
            Assert.Contains(root.GetProperty("stages").EnumerateArray(), s => s.GetProperty("stage").GetString() == stage);

        var page = File.ReadAllText(html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", page);
        Assert.DoesNotContain("<script", page);
        Assert.DoesNotContain("src=", page);
        Assert.DoesNotContain("href=", page);

        Assert.Equal(3, FailOnExit(cli, train, test, "leaks"));                    // found: exit 3
        Assert.Equal(0, FailOnExit(cli, train, test, "outliers,class_imbalance")); // not searched or not found: 0
        Assert.Equal(2, cli.Run("data", "check", train, "--bogus").ExitCode);
        Assert.Contains("not one of", cli.Run("data", "check", train, "--fail-on", "typos").Error);
    }

    private static int FailOnExit(CliRunner cli, string train, string test, string failOn) =>
        cli.Run("data", "check", train, "--base", "tiny", "--test", test, "--no-model", "--fail-on", failOn).ExitCode;

    [Fact]
    public void CurateWritesACleanedCopyAndAnAuditThatUndoReversesExactly()
    {
        using var dir = new TempDir();
        var (cli, train, test, spec) = Prepare(dir);
        var before = SHA256.HashData(File.ReadAllBytes(train));
        var output = dir.File("curated");
        var r = cli.Run("data", "curate", spec, "-o", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(train))); // the input is never modified
        var audit = File.ReadAllLines(Path.Combine(output, "audit.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(audit);
        Assert.All(audit, a =>
        {
            Assert.Equal("removed", a.GetProperty("action").GetString());
            Assert.Equal(train, a.GetProperty("file").GetString());
            Assert.True(a.GetProperty("line").GetInt32() >= 2);
            Assert.False(string.IsNullOrEmpty(a.GetProperty("reason").GetString()));
            Assert.False(string.IsNullOrEmpty(a.GetProperty("text").GetString()));
        });
        Assert.Contains(audit, a => a.GetProperty("reason").GetString()!.StartsWith("label issue", StringComparison.Ordinal));
        Assert.Contains(audit, a => a.GetProperty("reason").GetString()!.StartsWith("leaks into test.tsv line 2", StringComparison.Ordinal));
        var cleaned = File.ReadAllLines(Path.Combine(output, "train.tsv"));
        Assert.Equal(File.ReadAllLines(train).Length - audit.Count, cleaned.Length);
        Assert.Equal("text\tlabel", cleaned[0]);
        var newSpec = File.ReadAllText(Path.Combine(output, "cadre.yaml"));
        Assert.Contains(Path.Combine(output, "train.tsv"), newSpec);
        Assert.Contains(test, newSpec);

        var restored = dir.File("restored.tsv");
        Assert.Equal(0, cli.Run("data", "undo", output, "-o", restored).ExitCode);
        Assert.Equal(File.ReadAllBytes(train), File.ReadAllBytes(restored));
        Assert.Equal(1, cli.Run("data", "undo", output, "-o", restored).ExitCode); // never overwrites

        // Relabelling instead: the cleaned file keeps every row that is not a duplicate or a leak, undo still exact.
        var relabelled = dir.File("relabelled");
        Assert.Equal(0, cli.Run("data", "curate", train, "--base", "tiny", "--test", test, "-o", relabelled, "--relabel").ExitCode);
        var changes = File.ReadAllLines(Path.Combine(relabelled, "audit.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var relabel = changes.First(a => a.GetProperty("action").GetString() == "relabelled");
        Assert.NotEqual(relabel.GetProperty("given").GetString(), relabel.GetProperty("new").GetString());
        Assert.Contains($"\t{relabel.GetProperty("new").GetString()}", relabel.GetProperty("replacement").GetString());
        var restored2 = dir.File("restored2.tsv");
        Assert.Equal(0, cli.Run("data", "undo", relabelled, "-o", restored2).ExitCode);
        Assert.Equal(File.ReadAllBytes(train), File.ReadAllBytes(restored2));

        // An edited cleaned file is refused rather than "restored" wrongly.
        File.AppendAllText(Path.Combine(relabelled, "train.tsv"), "edited\tcolor\n");
        var refused = cli.Run("data", "undo", relabelled, "-o", dir.File("restored3.tsv"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("changed after curation", refused.Error);
        Assert.Contains("never overwrites its input", cli.Run("data", "curate", train, "--no-model", "-o", dir.Path).Error);
    }

    [Fact]
    public void AdapterSpecialistsCanGiveTheOutOfFoldProbabilities()
    {
        using var dir = new TempDir();
        var (cli, _, _, spec) = Prepare(dir);
        File.AppendAllText(spec, "\n    training: {epochs: 2, learning_rate: 1e-2, batch_size: 16, early_stopping: 0}\n");
        var r = cli.Run("data", "check", spec, "--only", "tiny-task", "--method", "lora", "--folds", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal("lora", doc.RootElement.GetProperty("label_issue_method").GetString());
        var stage = doc.RootElement.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == "out-of-fold probabilities");
        Assert.StartsWith("2 folds of lora", stage.GetProperty("detail").GetString());
        var flippedLines = Flipped.Select(i => i + 2).ToHashSet();
        var issues = doc.RootElement.GetProperty("label_issues").EnumerateArray().ToList();
        Assert.Contains(issues, i => flippedLines.Contains(i.GetProperty("line").GetInt32()));
        Assert.Contains("is not head or an adapter method", cli.Run("data", "check", spec, "--method", "full").Error);
    }
}
