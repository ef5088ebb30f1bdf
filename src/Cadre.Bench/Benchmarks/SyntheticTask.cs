using System.Text;

namespace Cadre.Benchmarks;

/// <summary>
/// A seeded two-class task in plain English (sport or food sentences with shared filler), for benchmarks whose
/// figures depend on the method and the base, not on the data: the store's bytes, a process's memory.
/// </summary>
internal static class SyntheticTask
{
    private static readonly string[] Sport = ["match", "goal", "team", "coach", "season", "league", "score", "player", "stadium", "race", "referee", "final"];
    private static readonly string[] Food = ["recipe", "oven", "flavor", "dinner", "sauce", "kitchen", "bread", "spice", "salad", "soup", "garlic", "dessert"];
    private static readonly string[] Filler = ["the", "a", "was", "after", "new", "great", "today", "we", "really", "their", "and", "with", "for", "this", "last", "night"];

    public static (string Train, string Test) Write(string folder, int trainRows, int testRows)
    {
        Directory.CreateDirectory(folder);
        var train = Path.Combine(folder, "synthetic-train.tsv");
        var test = Path.Combine(folder, "synthetic-test.tsv");
        File.WriteAllText(train, Rows(trainRows, 1), Encoding.UTF8);
        File.WriteAllText(test, Rows(testRows, 2), Encoding.UTF8);
        return (train, test);
    }

    private static string Rows(int count, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder("text\tlabel\n");
        for (var i = 0; i < count; i++)
        {
            var sport = i % 2 == 0;
            var topic = sport ? Sport : Food;
            var words = Enumerable.Range(0, 4 + random.Next(6)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
            for (var k = 0; k < 1 + random.Next(2); k++)
                words.Insert(random.Next(words.Count + 1), topic[random.Next(topic.Length)]);
            sb.Append(string.Join(' ', words)).Append('\t').Append(sport ? "sport" : "food").Append('\n');
        }
        return sb.ToString();
    }
}
