using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cadre.Adapters;
using Cadre.Models;
using Cadre.Tasks;
using Cadre.Training;
using Cadre.Specs;
using static TorchSharp.torch;

namespace Cadre.Benchmarks;

/// <summary>One method's training speed at a fixed length and batch.</summary>
public sealed record TrainRate(string Method, long Trainable, int Steps, double Seconds, double ExamplesPerSecond, double GigaFlopsPerSecond);

/// <summary>
/// Training steps per second for every method on one base, at a fixed token length and batch size: the same
/// step as <see cref="TrainingLoop"/> (forward, cross-entropy, backward, clipping, AdamW), on texts that all fill
/// the length. FLOPs are counted from the base's linear sites and attention (see <see cref="ForwardFlops"/>).
/// </summary>
public static class TrainBenchmark
{
    /// <summary>
    /// Multiples of the forward pass a step costs. head: the frozen forward only (features), the head is
    /// negligible. lora, ia3, prompt: forward plus the backward pass for activations (no weight gradients of the
    /// base): about 2. full: forward, activation and weight gradients: about 3.
    /// </summary>
    public static double StepFactor(string method) => method switch { "head" => 1, "full" => 3, _ => 2 };

    /// <summary>Forward FLOPs for one text of <paramref name="tokens"/> tokens: 2·in·out per token at every site
    /// (once for the pooler), plus 4·T²·W for attention scores and context where W is the query width.</summary>
    public static double ForwardFlops(IBaseModel model, int tokens)
    {
        double t = tokens, flops = 0;
        foreach (var (name, site) in model.Sites)
        {
            var perToken = 2.0 * site.InFeatures * site.OutFeatures;
            flops += name.StartsWith("pooler", StringComparison.Ordinal) ? perToken : perToken * t;
            if (SiteSelection.RoleOf(name) == SiteRole.Query)
                flops += 4 * t * t * site.OutFeatures;
        }
        return flops;
    }

    public static TrainRate Measure(ISentenceEncoder encoder, string method, int length, int batch, double seconds, string baseName)
    {
        var adapterSpec = new AdapterSpec { Method = method };
        using var adapter = method == "head" ? null : AdapterMethods.Get(method).Create(encoder, adapterSpec, 1, baseName);
        using var head = new ClassifierHead(encoder.Dimension, 4, 1);
        var parameters = head.parameters().Concat(adapter?.Parameters.Values ?? []).ToList();
        using var optimizer = optim.AdamW(parameters, new TrainingSpec().LearningRateFor(method));
        var texts = Enumerable.Range(0, batch).Select(i => Filler(i, length * 2)).ToList();
        using var gold = tensor(Enumerable.Range(0, batch).Select(i => (long)(i % 4)).ToArray());
        if (adapter is not null) adapter.Training = true;
        void Step()
        {
            using var scope = NewDisposeScope();
            Tensor features;
            if (adapter is null)
                using (no_grad()) features = encoder.EmbedBatch(texts, length);   // (B, D), the base frozen
            else
                features = encoder.EmbedBatch(texts, length);                     // (B, D)
            var loss = nn.functional.cross_entropy(head.forward(features), gold);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
        }
        Step(); // warm-up: first-call allocations
        var steps = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds || steps < 3)
        {
            Step();
            steps++;
        }
        var elapsed = watch.Elapsed.TotalSeconds;
        var tokens = length + (int)encoder.Prompt.Length; // a soft prompt adds its tokens to every text
        var flops = ForwardFlops(encoder, tokens) * StepFactor(method) * batch * steps;
        return new TrainRate(method, parameters.Sum(p => p.numel()), steps, elapsed, batch * steps / elapsed, flops / elapsed / 1e9);
    }

    /// <summary>A text of plain words long enough to fill <paramref name="words"/> tokens in any base's tokenizer.</summary>
    private static string Filler(int seed, int words)
    {
        string[] pool = ["the", "model", "reads", "a", "short", "sentence", "about", "weather", "and", "music", "today", "with", "care"];
        var random = new Random(seed);
        return string.Join(' ', Enumerable.Range(0, words).Select(_ => pool[random.Next(pool.Length)]));
    }

    public static string Markdown(IReadOnlyList<TrainRate> rates, string baseName, int length, int batch, double ceiling, string commandLine)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Training speed per method").AppendLine();
        sb.AppendLine($"Command: `{commandLine}`  ").AppendLine(ResultsFile.MachineLine()).AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Base `{baseName}`, {length} tokens per text, batch {batch}; one step = forward, cross-entropy, backward, clipping, AdamW. FLOPs per step = forward FLOPs × 1 (head: frozen forward), × 2 (lora, ia3, prompt: activation gradients only), × 3 (full). Matmul ceiling measured in the same run: {ceiling:F1} GFLOP/s."));
        sb.AppendLine().AppendLine("| method | trainable | steps | seconds | examples/s | GFLOP/s | share of ceiling |").AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rates)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Method} | {r.Trainable:N0} | {r.Steps} | {r.Seconds:F1} | {r.ExamplesPerSecond:F1} | {r.GigaFlopsPerSecond:F1} | {r.GigaFlopsPerSecond / ceiling:P0} |"));
        return sb.ToString();
    }
}
