using System.Globalization;
using System.Text;
using Cadre.Data;
using Cadre.Data.Quality;
using Cadre.Training;

namespace Cadre.Benchmarks;

/// <summary>
/// <c>cadre bench data</c>: a full <c>data check</c> of a large set, each stage timed. The set is a labelled file
/// grown to the asked row count (every extra row is a seeded copy of a random row with one word dropped or two
/// swapped, so near duplicates exist; 10 % of all labels are flipped, so label issues exist), or, without a file,
/// synthetic topic sentences. Embeddings are computed, never taken from the cache, so the embed stage is real.
/// </summary>
public static class DataBenchmark
{
    private static readonly string[][] Topics =
    [
        ["match", "goal", "team", "season", "coach", "league", "player", "score"],
        ["market", "shares", "profit", "bank", "investors", "prices", "trade", "growth"],
        ["election", "minister", "vote", "party", "policy", "parliament", "campaign", "law"],
        ["software", "phone", "chip", "network", "users", "app", "data", "cloud"],
    ];
    private static readonly string[] Fillers = ["the", "a", "new", "big", "after", "with", "about", "this", "week", "today", "report", "says", "more", "than", "over"];

    public static Dataset Build(Dataset? seed, int rows, int randomSeed)
    {
        var random = new Random(randomSeed);
        var examples = new List<Example>(rows);
        const string file = "bench-data";
        if (seed is null || seed.Count == 0)
        {
            for (var i = 0; i < rows; i++)
            {
                var topic = random.Next(Topics.Length);
                var words = Enumerable.Range(0, 6 + random.Next(10))
                    .Select(_ => random.Next(3) == 0 ? Topics[topic][random.Next(8)] : Fillers[random.Next(Fillers.Length)]).ToList();
                examples.Add(new Example(string.Join(' ', words), "topic" + topic, null, null, file, i + 2));
            }
        }
        else
        {
            for (var i = 0; i < rows; i++)
            {
                var source = seed.Examples[i < seed.Count ? i : random.Next(seed.Count)];
                var text = i < seed.Count ? source.Text : Perturb(source.Text, random);
                examples.Add(new Example(text, source.Label, null, null, file, i + 2));
            }
        }
        var labels = examples.Select(e => e.Label!).Distinct().Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < rows; i++)
            if (random.NextDouble() < 0.1 && labels.Count > 1)
            {
                var other = labels.Where(l => l != examples[i].Label).ToList();
                examples[i] = examples[i] with { Label = other[random.Next(other.Count)] };
            }
        return new Dataset(file, TaskKind.Classification, examples, labels, []);
    }

    private static string Perturb(string text, Random random)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (words.Count > 3 && random.Next(2) == 0) words.RemoveAt(random.Next(words.Count));
        else if (words.Count > 1)
        {
            var i = random.Next(words.Count - 1);
            (words[i], words[i + 1]) = (words[i + 1], words[i]);
        }
        return string.Join(' ', words);
    }

    public static string Markdown(QualityReport report, string source, string commandLine, double total)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Data check on 100,000 rows").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine(string.Create(ci, $"{report.Train.Count:N0} rows ({source}), {report.Train.Labels.Count} classes, {report.Evaluation.Sum(e => e.Count):N0} evaluation rows for the leakage search; the whole check took **{total:F0} s** ({total / 60:F1} min)."));
        sb.AppendLine().AppendLine("| stage | seconds | share | detail |").AppendLine("|---|---:|---:|---|");
        foreach (var s in report.Stages)
            sb.AppendLine(string.Create(ci, $"| {s.Stage} | {s.Seconds:F1} | {s.Seconds / Math.Max(total, 1e-9):P0} | {s.Detail} |"));
        sb.AppendLine().AppendLine("Found: " + string.Join(", ", report.Counts().Select(p => $"{p.Key.Replace('_', ' ')} {p.Value:N0}")) + ".");
        return sb.ToString();
    }

    public static QualityReport Run(string home, Dataset data, IReadOnlyList<Dataset> evaluation, string baseName, Action<string>? log,
                                    CancellationToken cancel, out double seconds, IProgress<Util.ProgressUpdate>? progress = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var report = QualityCheck.Run(home, data, evaluation, new QualityCheckOptions { Base = baseName, Cache = false, Log = log, Progress = progress }, null, cancel);
        seconds = watch.Elapsed.TotalSeconds;
        return report;
    }
}
