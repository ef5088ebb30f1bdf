using System.Buffers.Binary;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Store;

/// <summary>Factors of a low-rank change: U (m × r) and V (r × n), row-major float32, so ΔW ≈ U·V.</summary>
internal sealed record LowRankFactors(int Rank, long Rows, long Columns, float[] U, float[] V);

/// <summary>
/// The <see cref="ObjectCodec.LowRank"/> codec: a matrix stored as its delta base plus U·V plus an exact residual.
/// A merged LoRA, or any update of rank r ≪ min(m, n), then costs (m + n)·r floats instead of m·n. Reconstruction
/// must give the same bits on every machine, so it is a plain loop in double precision in a fixed order (no BLAS,
/// no fused multiply-add), rounded to the tensor's dtype; the payload then carries the XOR of the true bytes with
/// that reconstruction, byte-shuffled and deflated: zero where it matched, a few low mantissa bits where rounding
/// differed. Payload (inside zlib): U, V as float32 LE, then per chunk the shuffled residual.
/// </summary>
internal static class LowRankCodec
{
    /// <summary>Highest rank tried: beyond it, factors rarely beat an XOR delta.</summary>
    public const int MaxRank = 64;
    private const int Oversample = 8;
    public static bool Applies(DType dtype, long[] shape) =>
        dtype is DType.F32 or DType.F16 or DType.BF16 && shape.Length == 2 && Math.Min(shape[0], shape[1]) >= 4 * Oversample;

    /// <summary>
    /// Where rounding noise ends: W' = round(W + ΔW) differs from W + ΔW by up to half an ulp per element, noise of
    /// spread s ≈ rms(W')·2^−p/√12 (p: the dtype's mantissa bits) whose largest singular value is about s·(√m + √n).
    /// Directions twice above that are the update; the rest is left to the exact residual.
    /// </summary>
    private static double NoiseThreshold(DType dtype, double rms, long m, long n)
    {
        var bits = dtype switch { DType.F32 => 23, DType.F16 => 10, _ => 7 };
        return 2 * rms * Math.Pow(2, -bits) / Math.Sqrt(12) * (Math.Sqrt(m) + Math.Sqrt(n));
    }

    /// <summary>
    /// A randomized range finder on Δ = new − base (Halko, Martinsson and Tropp, 2011), streamed in blocks of rows:
    /// pass one forms Y = Δ·Ω, pass two B = Qᵀ·Δ, so memory is O((m + n)·k) beside one block, never the matrix.
    /// Returns factors when Δ's spectrum falls to the rounding noise within <see cref="MaxRank"/> directions and the
    /// factors take under half the dense size; null otherwise.
    /// </summary>
    public static LowRankFactors? Factor(DType dtype, long[] shape, Func<Stream> openCurrent, Func<Stream> openBase)
    {
        var (m, n) = (shape[0], shape[1]);
        var k = (int)Math.Min(MaxRank + Oversample, Math.Min(m, n));
        var rowsPerBlock = Math.Max(1, TensorElements.ChunkElements / n);
        using var scope = NewDisposeScope();
        var omega = randn([n, k], ScalarType.Float64, generator: new TorchSharp.torch.Generator(20261202)); // (n, k)
        var y = zeros([m, k], ScalarType.Float64);                                // (m, k)
        double squares = 0;
        ForEachBlock(dtype, openCurrent, openBase, m, n, rowsPerBlock, (first, rows, current, delta) =>
        {
            squares += current.square().sum().item<double>();
            y.narrow(0, first, rows).copy_(delta.mm(omega));                      // (rows, k)
        });
        var (q, _) = linalg.qr(y);                                                // (m, k)
        var b = zeros([k, n], ScalarType.Float64);                                // (k, n)
        ForEachBlock(dtype, openCurrent, openBase, m, n, rowsPerBlock, (first, rows, _, delta) =>
            b.add_(q.narrow(0, first, rows).t().mm(delta)));                      // (k, rows)·(rows, n)
        var (ub, s, vt) = linalg.svd(b, fullMatrices: false);                     // (k, k), (k), (k, n)
        var sigma = s.data<double>().ToArray();
        if (sigma.Length == 0 || sigma[0] == 0) return null;
        var threshold = Math.Max(NoiseThreshold(dtype, Math.Sqrt(squares / (m * n)), m, n), sigma[0] * 1e-7);
        var r = sigma.Count(x => x > threshold);
        if (r > MaxRank || r > k - Oversample || (m + n) * r * 4 > m * n * dtype.Size() / 2) return null;
        var u = q.mm(ub[.., ..r].mul(s[..r])).to(ScalarType.Float32).contiguous(); // (m, r)
        var v = vt[..r].to(ScalarType.Float32).contiguous();                      // (r, n)
        return new LowRankFactors(r, m, n, u.data<float>().ToArray(), v.data<float>().ToArray());
    }

    /// <summary>Calls <paramref name="visit"/> with (first row, rows, W' block, Δ block) for consecutive blocks of rows.</summary>
    private static void ForEachBlock(DType dtype, Func<Stream> openCurrent, Func<Stream> openBase, long m, long n, long rowsPerBlock,
                                     Action<long, long, Tensor, Tensor> visit)
    {
        using var current = openCurrent();
        using var old = openBase();
        var raw = new byte[rowsPerBlock * n * dtype.Size()];
        var a = new double[rowsPerBlock * n];
        var b = new double[rowsPerBlock * n];
        for (long first = 0; first < m; first += rowsPerBlock)
        {
            using var scope = NewDisposeScope();
            var rows = Math.Min(rowsPerBlock, m - first);
            var count = (int)(rows * n);
            current.ReadExactly(raw, 0, count * dtype.Size());
            TensorElements.Decode(dtype, raw.AsSpan(0, count * dtype.Size()), a.AsSpan(0, count));
            old.ReadExactly(raw, 0, count * dtype.Size());
            TensorElements.Decode(dtype, raw.AsSpan(0, count * dtype.Size()), b.AsSpan(0, count));
            var w = tensor(a.AsSpan(0, count).ToArray(), [rows, n], ScalarType.Float64); // (rows, n)
            var d = w.sub(tensor(b.AsSpan(0, count).ToArray(), [rows, n], ScalarType.Float64)); // (rows, n)
            visit(first, rows, w, d);
        }
    }

    public static void WriteFactors(Stream output, LowRankFactors f)
    {
        var buffer = new byte[4];
        foreach (var x in f.U.Concat(f.V))
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, x);
            output.Write(buffer);
        }
    }

    public static LowRankFactors ReadFactors(Stream payload, int rank, long m, long n)
    {
        float[] Read(long count)
        {
            var bytes = new byte[count * 4];
            payload.ReadExactly(bytes);
            var values = new float[count];
            for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            return values;
        }
        return new LowRankFactors(rank, m, n, Read(m * rank), Read(rank * n));
    }

    /// <summary>
    /// base + U·V for the elements of one chunk (<paramref name="first"/> is the chunk's first element index), as
    /// <paramref name="dtype"/> bytes. Decoder and encoder both call this, so they agree bit for bit.
    /// </summary>
    public static void Reconstruct(DType dtype, LowRankFactors f, long first, ReadOnlySpan<byte> baseChunk, Span<byte> output, double[] scratch)
    {
        var count = baseChunk.Length / dtype.Size();
        var values = scratch.AsSpan(0, count);
        TensorElements.Decode(dtype, baseChunk, values);
        var r = f.Rank;
        for (var e = 0; e < count; e++)
        {
            var index = first + e;
            var (i, j) = (index / f.Columns, index % f.Columns);
            double acc = 0;
            for (var t = 0; t < r; t++)
                acc += (double)f.U[i * r + t] * f.V[t * f.Columns + j];
            values[e] += acc;
        }
        TensorElements.Encode(dtype, values, output);
    }
}
