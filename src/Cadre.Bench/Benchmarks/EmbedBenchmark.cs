using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cadre.Models;
using Cadre.Models.UseLite;
using static TorchSharp.torch;

namespace Cadre.Benchmarks;

/// <summary>
/// <c>cadre bench embed</c>: sentences per second of our encoder at several batch sizes, beside the Node.js reference on
/// the same sentences in the same run, with parameters, FLOPs per sentence and the share of the matmul ceiling. A batch
/// is padded to its longest sentence, so each Cadre row also counts the FLOPs the padding costs: batches in file order
/// (as the reference gets them) and batches sorted by length, exactly as <c>cadre embed</c> forms them.
/// </summary>
public static class EmbedBenchmark
{
    /// <summary>
    /// One row. <paramref name="UsefulFlops"/> over <paramref name="ComputedFlops"/> is the share of the work spent on
    /// real tokens; both are null for the reference (its padding is not ours to count).
    /// </summary>
    public sealed record Row(string Implementation, string Batching, int Batch, double SentencesPerSecond,
                             double? UsefulFlops = null, double? ComputedFlops = null, double? Seconds = null);

    /// <summary>Batches of consecutive sentences, in file order (the reference batches the same way).</summary>
    public static int[][] InFileOrder(int count, int batch) => [.. Enumerable.Range(0, count).Chunk(batch)];

    /// <summary>
    /// Runs <paramref name="plan"/>'s batches (indices into <paramref name="sentences"/>), one forward pass each, over
    /// and over for at least <paramref name="seconds"/> and three batches. Counts the FLOPs of the real tokens and of
    /// the padded batches actually run (<paramref name="tokens"/>: each sentence's token count after truncation).
    /// </summary>
    public static Row Measure(UseLiteModel model, IReadOnlyList<string> sentences, IReadOnlyList<int> tokens,
                              IReadOnlyList<int[]> plan, string implementation, string batching, int batch, double seconds)
    {
        List<string> Texts(int[] b) => [.. b.Select(i => sentences[i])];
        model.Embed(Texts(plan[0]), plan[0].Length); // warm-up: first calls allocate
        var watch = Stopwatch.StartNew();
        int done = 0, runs = 0;
        double useful = 0, computed = 0;
        while (watch.Elapsed.TotalSeconds < seconds || runs < 3)
        {
            var b = plan[runs++ % plan.Count];
            model.Embed(Texts(b), b.Length); // one forward pass: the whole batch
            done += b.Length;
            var (u, c) = BatchFlops(model.Config, tokens, b);
            useful += u;
            computed += c;
        }
        var elapsed = watch.Elapsed.TotalSeconds;
        return new Row(implementation, batching, batch, done / elapsed, useful, computed, elapsed);
    }

    /// <summary>The FLOPs of one batch's real tokens, and of the batch as run: every row padded to its longest.</summary>
    public static (double Useful, double Computed) BatchFlops(UseLiteConfig config, IReadOnlyList<int> tokens, int[] batch) =>
        (batch.Sum(i => FlopsPerSentence(config, tokens[i])), batch.Length * FlopsPerSentence(config, batch.Max(i => tokens[i])));

    /// <summary>Each sentence's token count as the encoder sees it (cut to <c>max_length</c>).</summary>
    public static int[] Tokens(UseLiteModel model, IReadOnlyList<string> sentences) =>
        [.. sentences.Select(s => Math.Min(model.Config.MaxLength, model.Tokenizer.Encode(s).Count))];

    /// <summary>Multiply-adds × 2 of one sentence of <paramref name="tokens"/> tokens through USE-lite.</summary>
    public static double FlopsPerSentence(UseLiteConfig c, int tokens)
    {
        double t = Math.Max(1, tokens), flops = 0;
        foreach (var l in c.Layers)
        {
            if (l.InputSize != c.HiddenSize)
                flops += 2 * t * l.InputSize * c.HiddenSize;   // residual projection
            flops += 3 * 2 * t * l.InputSize * l.AttentionSize; // q, k, v
            flops += 2 * 2 * t * t * l.AttentionSize;           // scores and context
            flops += 2 * t * l.AttentionSize * c.HiddenSize;    // attention output
            flops += 2 * 2 * t * c.HiddenSize * l.FfnSize;      // feed-forward
        }
        return flops + 2.0 * c.HiddenSize * c.HiddenSize;        // tanh layer
    }

    public static long Parameters(ISentenceEncoder encoder) => encoder.Module.parameters().Sum(p => p.numel());

    public static string Markdown(IReadOnlyList<Row> rows, long parameters, double flopsPerSentence, double meanTokens,
                                  int sentences, string source, double ceiling, string commandLine, string? referenceNote)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Embedding throughput: USE-lite, Cadre vs the reference").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{sentences} sentences ({source}), {meanTokens:F1} tokens on average; " +
            $"{parameters:N0} parameters; {flopsPerSentence / 1e6:F1} MFLOPs per sentence (useful work, no padding); " +
            $"matmul ceiling {ceiling:F1} GFLOP/s measured in the same run.")).AppendLine();
        sb.AppendLine("Useful GFLOP/s counts real tokens only; useful share is that work over the work of the padded batches " +
                      "run (every row padded to its batch's longest sentence).").AppendLine();
        sb.AppendLine("| implementation | batches | batch | sentences/s | ms/sentence | useful GFLOP/s | % of ceiling | useful share |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            // Our rows: the FLOPs of the batches actually run; the reference's: its rate times the mean sentence.
            var gf = r.UsefulFlops is { } u && r.Seconds is { } t ? u / t / 1e9 : r.SentencesPerSecond * flopsPerSentence / 1e9;
            var share = r.UsefulFlops is { } uf && r.ComputedFlops is { } cf ? string.Create(CultureInfo.InvariantCulture, $"{100 * uf / cf:F1}%") : "—";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Implementation} | {r.Batching} | {r.Batch} | {r.SentencesPerSecond:F1} | {1000 / r.SentencesPerSecond:F2} | {gf:F2} | {100 * gf / ceiling:F1}% | {share} |"));
        }
        if (referenceNote is not null)
            sb.AppendLine().AppendLine(referenceNote);
        return sb.ToString();
    }

    public static double MeanTokens(IReadOnlyList<int> tokens) => tokens.Average();

    public static double MeanFlops(UseLiteConfig config, IReadOnlyList<int> tokens) => tokens.Average(t => FlopsPerSentence(config, t));

    /// <summary>Runs TorchSharp with the given intra-op threads (the Node reference uses one WASM thread by default).</summary>
    public static void SetThreads(int threads) => set_num_threads(threads);
}
