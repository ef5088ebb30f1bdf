using System.Diagnostics;
using static TorchSharp.torch;

namespace Cadre.Benchmarks;

/// <summary>One measured matmul size: n×n by n×n in float32, 2n³ FLOPs per product.</summary>
public sealed record MatmulRate(int Size, int Iterations, double Seconds, double GigaFlopsPerSecond);

/// <summary>
/// The machine's float32 matmul rate through TorchSharp: the ceiling every later benchmark's achieved FLOP rate is
/// compared against. Square products of growing size; the best rate is the ceiling.
/// </summary>
public static class MatmulCeiling
{
    public static IReadOnlyList<MatmulRate> Measure(IReadOnlyList<int>? sizes = null, double secondsPerSize = 1.0)
    {
        sizes ??= [256, 512, 1024, 2048];
        var rates = new List<MatmulRate>();
        foreach (var n in sizes)
        {
            using var scope = NewDisposeScope();
            var gen = new TorchSharp.torch.Generator(seed: 1);
            var a = randn(new long[] { n, n }, generator: gen); // (n, n)
            var b = randn(new long[] { n, n }, generator: gen); // (n, n)
            using (var warm = a.matmul(b)) { }               // first call pays allocation and thread start-up
            var watch = Stopwatch.StartNew();
            var iterations = 0;
            while (watch.Elapsed.TotalSeconds < secondsPerSize || iterations < 3)
            {
                using var c = a.matmul(b);                    // (n, n): 2n³ FLOPs
                iterations++;
            }
            var seconds = watch.Elapsed.TotalSeconds;
            var flops = 2.0 * n * n * (double)n * iterations;
            rates.Add(new MatmulRate(n, iterations, seconds, flops / seconds / 1e9));
        }
        return rates;
    }

    public static double Ceiling(IReadOnlyList<MatmulRate> rates) => rates.Max(r => r.GigaFlopsPerSecond);
}
