using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cadre.Models;
using Cadre.Models.UseLite;
using static TorchSharp.torch;

namespace Cadre.Benchmarks;

/// <summary>
/// <c>cadre bench embed</c>: sentences per second of our encoder at several batch sizes, beside the Node.js reference on
/// the same sentences in the same run, with parameters, FLOPs per sentence and the share of the matmul ceiling.
/// </summary>
public static class EmbedBenchmark
{
    public sealed record Row(string Implementation, int Batch, double SentencesPerSecond, double? GigaFlopsPerSecond);

    public static double Throughput(ISentenceEncoder encoder, IReadOnlyList<string> sentences, int batch, double seconds)
    {
        encoder.Embed(sentences.Take(batch).ToList(), batch); // warm-up: first calls allocate
        var watch = Stopwatch.StartNew();
        var done = 0;
        var at = 0;
        while (watch.Elapsed.TotalSeconds < seconds || done < 3 * batch)
        {
            var chunk = Enumerable.Range(0, batch).Select(k => sentences[(at + k) % sentences.Count]).ToList();
            at += batch;
            encoder.Embed(chunk, batch);
            done += batch;
        }
        return done / watch.Elapsed.TotalSeconds;
    }

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
                                  int sentences, double ceiling, string commandLine, string? referenceNote)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Embedding throughput: USE-lite, Cadre vs the reference").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{sentences} sentences (tools/reference/use-lite/sentences.txt), {meanTokens:F1} tokens on average; " +
            $"{parameters:N0} parameters; {flopsPerSentence / 1e6:F1} MFLOPs per sentence (useful work, no padding); " +
            $"matmul ceiling {ceiling:F1} GFLOP/s measured in the same run.")).AppendLine();
        sb.AppendLine("| implementation | batch | sentences/s | ms/sentence | useful GFLOP/s | % of ceiling |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var gf = r.SentencesPerSecond * flopsPerSentence / 1e9;
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Implementation} | {r.Batch} | {r.SentencesPerSecond:F1} | {1000 / r.SentencesPerSecond:F2} | {gf:F2} | {100 * gf / ceiling:F1}% |"));
        }
        if (referenceNote is not null)
            sb.AppendLine().AppendLine(referenceNote);
        return sb.ToString();
    }

    public static double MeanTokens(UseLiteModel model, IReadOnlyList<string> sentences) =>
        sentences.Average(s => Math.Min(model.Config.MaxLength, model.Tokenizer.Encode(s).Count));

    public static double MeanFlops(UseLiteModel model, IReadOnlyList<string> sentences) =>
        sentences.Average(s => FlopsPerSentence(model.Config, Math.Min(model.Config.MaxLength, model.Tokenizer.Encode(s).Count)));

    /// <summary>Runs TorchSharp with the given intra-op threads (the Node reference uses one WASM thread by default).</summary>
    public static void SetThreads(int threads) => set_num_threads(threads);
}
