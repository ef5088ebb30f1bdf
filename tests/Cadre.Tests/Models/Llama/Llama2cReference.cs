namespace Cadre.Tests.Models.Llama;

/// <summary>
/// run.c's forward pass transcribed into scalar C#: one position at a time, a key/value cache, interleaved RoPE on
/// Meta-layout q and k, head h reading key/value head h / (heads / kv_heads). Slow and obvious on purpose: it is the
/// yardstick the TorchSharp model is held to.
/// </summary>
internal static class Llama2cReference
{
    public static float[][] Logits(TinyLlamaCheckpoint model, IReadOnlyList<int> tokens)
    {
        var c = model.Config;
        var w = model.Meta;
        int dim = c.HiddenSize, hs = c.HeadDim, kvDim = c.NumKeyValueHeads * hs, kvMul = c.NumAttentionHeads / c.NumKeyValueHeads;
        var keys = new float[c.NumHiddenLayers, tokens.Count, kvDim];
        var values = new float[c.NumHiddenLayers, tokens.Count, kvDim];
        var result = new float[tokens.Count][];
        for (var pos = 0; pos < tokens.Count; pos++)
        {
            var x = w["model.embed_tokens.weight"].AsSpan(tokens[pos] * dim, dim).ToArray();
            for (var l = 0; l < c.NumHiddenLayers; l++)
            {
                var p = $"model.layers.{l}.";
                var xb = RmsNorm(x, w[p + "input_layernorm.weight"]);
                var q = MatVec(w[p + "self_attn.q_proj.weight"], xb, dim);
                var k = MatVec(w[p + "self_attn.k_proj.weight"], xb, kvDim);
                var v = MatVec(w[p + "self_attn.v_proj.weight"], xb, kvDim);
                for (var i = 0; i < dim; i += 2)
                {
                    var freq = 1.0f / MathF.Pow(10000.0f, i % hs / (float)hs);
                    var (cos, sin) = (MathF.Cos(pos * freq), MathF.Sin(pos * freq));
                    foreach (var vec in i < kvDim ? new[] { q, k } : [q])
                        (vec[i], vec[i + 1]) = (vec[i] * cos - vec[i + 1] * sin, vec[i] * sin + vec[i + 1] * cos);
                }
                for (var i = 0; i < kvDim; i++)
                    (keys[l, pos, i], values[l, pos, i]) = (k[i], v[i]);
                var attended = new float[dim];
                for (var h = 0; h < c.NumAttentionHeads; h++)
                {
                    var kvOffset = h / kvMul * hs;
                    var scores = new float[pos + 1];
                    for (var t = 0; t <= pos; t++)
                    {
                        for (var i = 0; i < hs; i++)
                            scores[t] += q[h * hs + i] * keys[l, t, kvOffset + i];
                        scores[t] /= MathF.Sqrt(hs);
                    }
                    Softmax(scores);
                    for (var t = 0; t <= pos; t++)
                        for (var i = 0; i < hs; i++)
                            attended[h * hs + i] += scores[t] * values[l, t, kvOffset + i];
                }
                Add(x, MatVec(w[p + "self_attn.o_proj.weight"], attended, dim));
                xb = RmsNorm(x, w[p + "post_attention_layernorm.weight"]);
                var gate = MatVec(w[p + "mlp.gate_proj.weight"], xb, c.IntermediateSize);
                var up = MatVec(w[p + "mlp.up_proj.weight"], xb, c.IntermediateSize);
                for (var i = 0; i < gate.Length; i++)
                    gate[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
                Add(x, MatVec(w[p + "mlp.down_proj.weight"], gate, dim));
            }
            x = RmsNorm(x, w["model.norm.weight"]);
            result[pos] = MatVec(w[c.TieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"], x, c.VocabSize);
        }
        return result;
    }

    private static float[] RmsNorm(float[] x, float[] weight)
    {
        var ss = x.Sum(v => v * v) / x.Length + 1e-5f;
        return x.Select((v, i) => weight[i] * (v / MathF.Sqrt(ss))).ToArray();
    }

    /// <summary>W (rows, n) times x (n,).</summary>
    private static float[] MatVec(float[] w, float[] x, int rows)
    {
        var result = new float[rows];
        for (var r = 0; r < rows; r++)
            for (var j = 0; j < x.Length; j++)
                result[r] += w[r * x.Length + j] * x[j];
        return result;
    }

    private static void Softmax(float[] x)
    {
        var max = x.Max();
        for (var i = 0; i < x.Length; i++)
            x[i] = MathF.Exp(x[i] - max);
        var sum = x.Sum();
        for (var i = 0; i < x.Length; i++)
            x[i] /= sum;
    }

    private static void Add(float[] x, float[] y)
    {
        for (var i = 0; i < x.Length; i++)
            x[i] += y[i];
    }
}
