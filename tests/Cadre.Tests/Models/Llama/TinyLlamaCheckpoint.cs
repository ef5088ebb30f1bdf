using System.Text.Json.Nodes;
using Cadre.Models;
using Cadre.Models.Llama;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Tests.Models.Llama;

/// <summary>
/// A tiny random Llama written the way llama2.c trains and exports one: q and k rows in Meta's interleaved RoPE
/// order. It can write itself as a llama2.c .bin (v0 or v1), give its weights in Hugging Face layout (q and k
/// permuted as transformers' convert script does), and compute logits with a plain scalar transcription of run.c's
/// forward pass, independent of Cadre's TorchSharp model.
/// </summary>
internal sealed class TinyLlamaCheckpoint
{
    public TinyLlamaCheckpoint(int seed = 1, int kvHeads = 2, bool tied = true, int heads = 4, int dim = 16)
    {
        Config = new LlamaConfig
        {
            HiddenSize = dim, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = heads, NumKeyValueHeads = kvHeads,
            VocabSize = 64, MaxPositionEmbeddings = 32, RmsNormEps = 1e-5, RopeTheta = 10000, TieWordEmbeddings = tied,
        };
        var random = new Random(seed);
        foreach (var (name, shape) in Shapes(Config))
        {
            var isNorm = name.EndsWith("norm.weight", StringComparison.Ordinal);
            var scale = isNorm ? 0.1 : name.Contains("embed", StringComparison.Ordinal) || name.StartsWith("lm_head", StringComparison.Ordinal) ? 1.0 : 0.3;
            Meta[name] = Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b))
                .Select(_ => (float)((isNorm ? 1 : 0) + scale * (random.NextDouble() * 2 - 1) * 1.7)).ToArray();
        }
    }

    public LlamaConfig Config { get; }

    /// <summary>Weights by Hugging Face name, q and k still in Meta's interleaved order.</summary>
    public Dictionary<string, float[]> Meta { get; } = [];

    public static IEnumerable<(string Name, long[] Shape)> Shapes(LlamaConfig c)
    {
        long dim = c.HiddenSize, kv = (long)c.NumKeyValueHeads * c.HeadDim, ffn = c.IntermediateSize;
        yield return ("model.embed_tokens.weight", [c.VocabSize, dim]);
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}.";
            yield return (p + "input_layernorm.weight", [dim]);
            yield return (p + "self_attn.q_proj.weight", [dim, dim]);
            yield return (p + "self_attn.k_proj.weight", [kv, dim]);
            yield return (p + "self_attn.v_proj.weight", [kv, dim]);
            yield return (p + "self_attn.o_proj.weight", [dim, dim]);
            yield return (p + "post_attention_layernorm.weight", [dim]);
            yield return (p + "mlp.gate_proj.weight", [ffn, dim]);
            yield return (p + "mlp.down_proj.weight", [dim, ffn]);
            yield return (p + "mlp.up_proj.weight", [ffn, dim]);
        }
        yield return ("model.norm.weight", [dim]);
        if (!c.TieWordEmbeddings)
            yield return ("lm_head.weight", [c.VocabSize, dim]);
    }

    /// <summary>Hugging Face layout: transformers' permute(w, n_heads) = view(H, D/2, 2, C).transpose(1, 2).</summary>
    public Dictionary<string, Tensor> HuggingFaceWeights()
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in Shapes(Config))
        {
            var w = tensor(Meta[name], shape);
            var heads = name.EndsWith("q_proj.weight", StringComparison.Ordinal) ? Config.NumAttentionHeads
                : name.EndsWith("k_proj.weight", StringComparison.Ordinal) ? Config.NumKeyValueHeads : 0;
            result[name] = heads == 0 ? w : w.view(heads, shape[0] / heads / 2, 2, shape[1]).transpose(1, 2).reshape(shape);
        }
        return result;
    }

    /// <summary>A model filled from <see cref="HuggingFaceWeights"/> in memory.</summary>
    public LlamaModel LoadHuggingFaceLayout()
    {
        var model = LlamaModel.Empty(Config);
        var target = new CheckpointTarget(model.Module, "tiny", _ => false);
        foreach (var (name, w) in HuggingFaceWeights())
        {
            target.Copy(name, w);
            w.Dispose();
        }
        target.Complete();
        return model;
    }

    /// <summary>
    /// Writes a Hugging Face folder: config.json and model.safetensors, or <paramref name="shards"/> files
    /// model-0000i-of-0000n.safetensors with model.safetensors.index.json, weights stored as <paramref name="dtype"/>.
    /// </summary>
    public void WriteHuggingFace(string folder, int shards = 1, ScalarType dtype = ScalarType.Float32, IReadOnlyDictionary<string, Tensor>? extra = null)
    {
        LlamaConfigJson.Write(Config, Path.Combine(folder, "config.json"));
        using var scope = NewDisposeScope();
        var weights = HuggingFaceWeights().Select(p => KeyValuePair.Create(p.Key, p.Value.to_type(dtype)))
            .Concat(extra ?? new Dictionary<string, Tensor>()).ToList();
        if (shards == 1)
        {
            SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights);
            return;
        }
        var map = new JsonObject();
        for (var s = 0; s < shards; s++)
        {
            var file = $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var part = weights.Where((_, i) => i % shards == s).ToList();
            SafetensorsWriter.Write(Path.Combine(folder, file), part);
            foreach (var (name, _) in part)
                map[name] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map };
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), index.ToJsonString());
    }

    /// <summary>Writes llama2.c's .bin: v0 (legacy header, run.c order, RoPE tables) or v1 ("ak42" header, export.py order).</summary>
    public void WriteLlama2cBin(string path, int version)
    {
        var c = Config;
        using var w = new BinaryWriter(File.Create(path));
        var vocab = c.TieWordEmbeddings || version == 1 ? c.VocabSize : -c.VocabSize;
        if (version == 1)
        {
            w.Write(0x616B3432u);
            w.Write(1);
        }
        foreach (var v in new[] { c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, vocab, c.MaxPositionEmbeddings })
            w.Write(v);
        if (version == 1)
        {
            w.Write((byte)(c.TieWordEmbeddings ? 1 : 0));
            w.Write(new byte[256 - 37]);
        }
        void Layers(string suffix)
        {
            for (var i = 0; i < c.NumHiddenLayers; i++)
                foreach (var f in Meta[$"model.layers.{i}.{suffix}"])
                    w.Write(f);
        }
        void One(string name)
        {
            foreach (var f in Meta[name])
                w.Write(f);
        }
        string[] attention = ["self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight"];
        string[] ffn = ["mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight"];
        if (version == 0)
        {
            One("model.embed_tokens.weight");
            Layers("input_layernorm.weight");
            foreach (var a in attention)
                Layers(a);
            Layers("post_attention_layernorm.weight");
            foreach (var f in ffn)
                Layers(f);
            One("model.norm.weight");
            for (var i = 0; i < c.MaxPositionEmbeddings * c.HeadDim; i++)
                w.Write(float.NaN); // the RoPE tables run.c skips: NaN proves they are skipped here too
        }
        else
        {
            Layers("input_layernorm.weight");
            Layers("post_attention_layernorm.weight");
            One("model.norm.weight");
            One("model.embed_tokens.weight");
            foreach (var a in attention.Concat(ffn))
                Layers(a);
        }
        if (!c.TieWordEmbeddings)
            One("lm_head.weight");
    }
}
