using Cadre.Tests.Cli;

namespace Cadre.Tests.Infrastructure;

/// <summary>
/// A small, learnable two-class task over the tiny BERT vocabulary: "animal" sentences mention cat or dog,
/// "color" sentences mention red or blue, with shared filler words. Deterministic, written as TSV with a header.
/// </summary>
internal static class TinyTask
{
    public static string TinyBert => Path.Combine(AppContext.BaseDirectory, "golden", "bert", "tiny-bert");

    private static readonly string[] Fillers = ["the", "a", "big", "small", "is", "on", "mat", "fast", "slow", "sat", "and", "not"];

    public static IEnumerable<(string Text, string Label)> Rows(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var animal = i % 2 == 0;
            var key = animal ? (random.Next(2) == 0 ? "cat" : "dog") : (random.Next(2) == 0 ? "red" : "blue");
            var words = Enumerable.Range(0, 2 + random.Next(4)).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), key);
            yield return (string.Join(' ', words), animal ? "animal" : "color");
        }
    }

    public static string WriteTsv(string path, int count, int seed)
    {
        File.WriteAllLines(path, new[] { "text\tlabel" }.Concat(Rows(count, seed).Select(r => $"{r.Text}\t{r.Label}")));
        return path;
    }

    /// <summary>Imports tiny BERT as base 'tiny' and writes train/test files plus a spec with the given adapter block.</summary>
    public static string Prepare(CliRunner cli, string folder, string adapter = "method: head", string extra = "", int epochs = 20)
    {
        var import = cli.Run("base", "import", TinyBert, "--name", "tiny");
        Assert.True(import.ExitCode == 0, import.Error);
        WriteTsv(Path.Combine(folder, "train.tsv"), 120, 1);
        WriteTsv(Path.Combine(folder, "test.tsv"), 40, 2);
        var spec = Path.Combine(folder, "cadre.yaml");
        File.WriteAllText(spec, $"""
            specialists:
              - name: tiny-task
                base: tiny
                data:
                  train: train.tsv
                  test: test.tsv
                adapter:
                  {adapter}
                training:
                  epochs: {epochs}
                  learning_rate: 1e-2
                  batch_size: 16
                  early_stopping: 0
                  {extra}
            """);
        return spec;
    }
}
