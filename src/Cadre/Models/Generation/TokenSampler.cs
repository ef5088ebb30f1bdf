namespace Cadre.Models.Generation;

/// <summary>
/// Picks the next token from one row of logits the way llama2.c's sampler does, step for step in float32: argmax
/// at temperature 0; otherwise softmax(logits / T), one coin from xorshift64*, then plain multinomial sampling or
/// nucleus (top-p) sampling over the most likely tokens. Ties in probability keep vocabulary order.
/// </summary>
internal sealed class TokenSampler
{
    private readonly float _temperature;
    private readonly float _topP;
    private ulong _state;

    public TokenSampler(double temperature, double topP, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfZero(seed);
        (_temperature, _topP, _state) = ((float)temperature, (float)topP, seed);
    }

    /// <summary>Samples an id; <paramref name="logits"/> is overwritten with probabilities unless greedy.</summary>
    public int Sample(float[] logits)
    {
        if (_temperature == 0f)
            return ArgMax(logits);
        for (var i = 0; i < logits.Length; i++)
            logits[i] /= _temperature;
        Softmax(logits);
        var coin = NextFloat();
        return _topP <= 0f || _topP >= 1f ? Multinomial(logits, coin) : Nucleus(logits, _topP, coin);
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }

    private static void Softmax(float[] x)
    {
        var max = x[0];
        for (var i = 1; i < x.Length; i++)
            max = x[i] > max ? x[i] : max;
        var sum = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        for (var i = 0; i < x.Length; i++)
            x[i] /= sum;
    }

    private static int Multinomial(float[] probabilities, float coin)
    {
        var cdf = 0f;
        for (var i = 0; i < probabilities.Length; i++)
        {
            cdf += probabilities[i];
            if (coin < cdf)
                return i;
        }
        return probabilities.Length - 1; // rounding left the total just under the coin
    }

    private static int Nucleus(float[] probabilities, float topP, float coin)
    {
        // Tokens below (1 - p) / (n - 1) can never be in the nucleus: dropping them first keeps the sort short.
        var cutoff = (1f - topP) / (probabilities.Length - 1);
        var candidates = Enumerable.Range(0, probabilities.Length)
            .Where(i => probabilities[i] >= cutoff)
            .OrderByDescending(i => probabilities[i]) // stable: equal probabilities keep vocabulary order
            .ToArray();
        var cumulative = 0f;
        var last = candidates.Length - 1;
        for (var i = 0; i < candidates.Length; i++)
        {
            cumulative += probabilities[candidates[i]];
            if (cumulative > topP)
            {
                last = i;
                break;
            }
        }
        var r = coin * cumulative;
        var cdf = 0f;
        for (var i = 0; i <= last; i++)
        {
            cdf += probabilities[candidates[i]];
            if (r < cdf)
                return candidates[i];
        }
        return candidates[last];
    }

    /// <summary>xorshift64* (Marsaglia; Vigna's multiplier), top 24 bits of its upper half as a float in [0, 1).</summary>
    private float NextFloat()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        var u32 = (uint)((_state * 0x2545F4914F6CDD1DUL) >> 32);
        return (u32 >> 8) / 16777216f;
    }
}
