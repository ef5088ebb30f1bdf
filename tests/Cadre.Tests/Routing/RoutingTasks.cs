using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>
/// Three small tasks over disjoint parts of the tiny BERT vocabulary, so a router can tell them apart and each has
/// its own two labels: <c>pets</c> (cat or dog), <c>paint</c> (red or blue), <c>pace</c> (fast or slow). Texts that
/// none of them covers are strings of single letters. Deterministic (seeded), written as TSV with a header.
/// </summary>
internal static class RoutingTasks
{
    public sealed record TaskWords(string Name, string[] Keys, string[] Fillers);

    public static readonly TaskWords[] All =
    [
        new("pets", ["cat", "dog"], ["the", "sat", "on", "mat"]),
        new("paint", ["red", "blue"], ["a", "big", "small", "is"]),
        new("pace", ["fast", "slow"], ["hello", "world", "runs", "!"]),
    ];

    public static IEnumerable<(string Text, string Label)> Rows(TaskWords task, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var key = task.Keys[i % task.Keys.Length];
            var words = Enumerable.Range(0, 3 + random.Next(4)).Select(_ => task.Fillers[random.Next(task.Fillers.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), key);
            yield return (string.Join(' ', words), key);
        }
    }

    /// <summary>Texts no task covers: 3 to 6 single letters.</summary>
    public static IEnumerable<string> OutOfScope(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
            yield return string.Join(' ', Enumerable.Range(0, 3 + random.Next(4)).Select(_ => (char)('a' + random.Next(26))));
    }

    public static string WriteTsv(string path, IEnumerable<(string Text, string Label)> rows)
    {
        File.WriteAllLines(path, new[] { "text\tlabel" }.Concat(rows.Select(r => $"{r.Text}\t{r.Label}")));
        return path;
    }

    /// <summary>Imports tiny BERT as 'tiny', writes each task's train and test files and one spec training all three.</summary>
    public static string Prepare(CliRunner cli, string folder, string method = "head", int epochs = 10, int trainRows = 80)
    {
        var import = cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny");
        Assert.True(import.ExitCode == 0, import.Error);
        var entries = new List<string>();
        for (var t = 0; t < All.Length; t++)
        {
            var task = All[t];
            WriteTsv(Path.Combine(folder, $"{task.Name}-train.tsv"), Rows(task, trainRows, 10 + t));
            WriteTsv(Path.Combine(folder, $"{task.Name}-test.tsv"), Rows(task, 30, 20 + t));
            entries.Add($"""
                  - name: {task.Name}
                    base: tiny
                    data: {"{"}train: {task.Name}-train.tsv, test: {task.Name}-test.tsv{"}"}
                    adapter: {"{"}method: {method}{"}"}
                    training: {"{"}epochs: {epochs}, learning_rate: 1e-2, batch_size: 16, early_stopping: 0{"}"}
                """);
        }
        var spec = Path.Combine(folder, "cadre.yaml");
        File.WriteAllText(spec, "specialists:\n" + string.Join("\n", entries) + "\n");
        return spec;
    }

    /// <summary>Every task's test rows as (text, task name).</summary>
    public static IReadOnlyList<(string Text, string Task)> TestUnion() =>
        [.. All.SelectMany((t, i) => Rows(t, 30, 20 + i).Select(r => (r.Text, t.Name)))];
}
