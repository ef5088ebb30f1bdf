using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Merge;

/// <summary>
/// Two tasks over the same tiny-BERT sentences: each names a pet (cat or dog) and a colour (red or blue), chosen
/// independently; "pets" labels the pet, "colors" the colour. A merged specialist must answer both.
/// </summary>
internal static class TwoTasks
{
    private static readonly string[] Fillers = ["the", "a", "sat", "on", "mat", "is", "and", "hello", "world", "big", "small"];

    public static void Write(string folder, int count, int seed, string suffix)
    {
        var random = new Random(seed);
        var pets = new List<string> { "text\tlabel" };
        var colors = new List<string> { "text\tlabel" };
        for (var i = 0; i < count; i++)
        {
            var pet = i % 2 == 0 ? "cat" : "dog";
            var color = random.Next(2) == 0 ? "red" : "blue";
            var words = Enumerable.Range(0, 2 + random.Next(3)).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), pet);
            words.Insert(random.Next(words.Count + 1), color);
            var text = string.Join(' ', words);
            pets.Add($"{text}\t{pet}");
            colors.Add($"{text}\t{color}");
        }
        File.WriteAllLines(Path.Combine(folder, $"pets-{suffix}.tsv"), pets);
        File.WriteAllLines(Path.Combine(folder, $"colors-{suffix}.tsv"), colors);
    }

    /// <summary>Imports tiny BERT as 'tiny', writes the data and a spec with one specialist per task and method, and trains them.</summary>
    public static void Train(CliRunner cli, string folder, params (string Name, string Task, string Adapter)[] specialists)
    {
        var import = cli.Run("base", "import", TinyTask.TinyBert, "--name", "tiny");
        Assert.True(import.ExitCode == 0, import.Error);
        Write(folder, 120, 1, "train");
        Write(folder, 40, 2, "test");
        var entries = specialists.Select(s => $"""
              - name: {s.Name}
                base: tiny
                data: {"{"}train: {s.Task}-train.tsv, test: {s.Task}-test.tsv{"}"}
                adapter: {"{"}{s.Adapter}{"}"}
                training: {"{"}epochs: 2, learning_rate: 1e-2, batch_size: 16, early_stopping: 0{"}"}
            """);
        var spec = Path.Combine(folder, "cadre.yaml");
        File.WriteAllText(spec, "specialists:\n" + string.Join("\n", entries) + "\n");
        var train = cli.Run("train", spec);
        Assert.True(train.ExitCode == 0, train.Error + train.Out);
    }
}
