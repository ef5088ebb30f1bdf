using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Cadre.Tensors;

namespace Cadre.Models.UseLite;

/// <summary>
/// Converts the TF.js USE-lite package into Cadre's layout: <c>model.safetensors</c> (stable key names, linear
/// weights as (out, in)), <c>config.json</c> (every size read from the graph) and <c>vocab.json</c>. The graph's
/// 1×1 convolutions and tensordots are linears; the fused qkv kernel is split into query, key and value so that
/// adapters can target each.
/// </summary>
public static partial class UseLiteConverter
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";
    public const string VocabFile = "vocab.json";

    /// <summary>Converts a .tgz package or an unpacked folder into <paramref name="outputDir"/>.</summary>
    public static UseLiteConfig Convert(string package, string outputDir)
    {
        var source = UseLitePackage.Open(package);
        var vocab = source.Require("vocab.json");
        var (config, tensors) = Map(source.ReadWeights(), source.Source);
        UseLiteGraphCheck.Verify(source.Require("model.json"), config.Layers.Count, source.Source);
        Directory.CreateDirectory(outputDir);
        SafetensorsWriter.WriteRaw(Path.Combine(outputDir, WeightsFile), tensors,
            new Dictionary<string, string> { ["format"] = "cadre", ["model_type"] = UseLiteConfig.ModelType });
        config.Write(Path.Combine(outputDir, ConfigFile));
        File.WriteAllBytes(Path.Combine(outputDir, VocabFile), vocab);
        _ = Tokenizers.Unigram.UnigramTokenizer.Load(Path.Combine(outputDir, VocabFile)); // refuse a bad vocabulary now
        return config;
    }

    internal static (UseLiteConfig Config, List<RawTensor> Tensors) Map(IReadOnlyList<GraphWeight> weights, string source)
    {
        var tensors = new List<RawTensor>();
        var scales = new SortedDictionary<int, float>();
        var splits = new SortedDictionary<int, int[]>();
        int? heads = null, maxLength = null;
        float? eps = null, l2Eps = null;
        foreach (var w in weights)
        {
            var name = w.Name;
            Match m;
            if (w.Ints is not null)
            {
                if ((m = SplitSizes().Match(name)).Success) splits[int.Parse(m.Groups[1].Value)] = w.Ints;
                else if (HeadCount().IsMatch(name)) heads = w.Ints[0];
                else if (ClipLength().IsMatch(name)) maxLength = w.Ints[0];
                continue; // other int32 constants are the graph's shape bookkeeping
            }
            var f = w.Floats!;
            if (name == "module/Embeddings_en") Add("embeddings.weight", w.Shape, f);
            else if ((m = Timing().Match(name)).Success) Add("timing.inv_timescales", [w.Shape[^1]], f);
            else if ((m = AttentionNorm().Match(name)).Success) Add($"layers.{m.Groups[1].Value}.attention_norm.{Norm(m.Groups[2].Value)}", w.Shape, f);
            else if ((m = FfnNorm().Match(name)).Success) Add($"layers.{m.Groups[1].Value}.ffn_norm.{Norm(m.Groups[2].Value)}", w.Shape, f);
            else if ((m = Residual().Match(name)).Success) AddLinear($"layers.{m.Groups[1].Value}.residual", m.Groups[2].Value, w.Shape, f);
            else if ((m = Qkv().Match(name)).Success) AddQkv(int.Parse(m.Groups[1].Value), m.Groups[2].Value, w.Shape, f);
            else if ((m = AttentionOut().Match(name)).Success) AddLinear($"layers.{m.Groups[1].Value}.attention.output", m.Groups[2].Value, w.Shape, f);
            else if ((m = FfnKernel().Match(name)).Success) AddLinear($"layers.{m.Groups[1].Value}.ffn.{Ffn(m.Groups[2].Value)}", "kernel", w.Shape, f);
            else if ((m = FfnBias().Match(name)).Success) Add($"layers.{m.Groups[1].Value}.ffn.{Ffn(m.Groups[2].Value)}.bias", w.Shape, f);
            else if ((m = Scale().Match(name)).Success) scales[int.Parse(m.Groups[1].Value)] = f[0];
            else if (Epsilon().IsMatch(name)) eps = f[0];
            else if (L2Epsilon().IsMatch(name)) l2Eps = f[0];
            else if (name.EndsWith("tanh_layer_0/weights", StringComparison.Ordinal)) AddLinear("pooler.dense", "kernel", w.Shape, f);
            else if (name.EndsWith("tanh_layer_0/bias", StringComparison.Ordinal)) Add("pooler.dense.bias", w.Shape, f);
            else if (PaddingBias().IsMatch(name) && f[0] <= -1e4f) { } // masked_fill with -inf does the same
            else throw new CadreException($"{source}: unexpected weight {name} {Shape(w.Shape)}: not a USE-lite graph Cadre knows");
        }

        var byName = tensors.ToDictionary(t => t.Name);
        RawTensor Need(string key) => byName.TryGetValue(key, out var t) ? t
            : throw new CadreException($"{source}: the graph has no weight for {key}");
        var layerCount = scales.Count;
        if (layerCount == 0 || heads is null || eps is null || maxLength is null || l2Eps is null)
            throw new CadreException($"{source}: the graph lacks attention scales, head count, layer-norm epsilon, length clip or l2 epsilon");
        var embedding = Need("embeddings.weight").Shape;
        var hidden = (int)Need("pooler.dense.weight").Shape[0];
        var layers = new List<UseLiteLayerConfig>();
        for (var i = 0; i < layerCount; i++)
        {
            var q = Need($"layers.{i}.attention.query.weight").Shape;
            var ffn = Need($"layers.{i}.ffn.intermediate.weight").Shape;
            layers.Add(new UseLiteLayerConfig((int)q[1], (int)q[0], heads.Value, scales[i], (int)ffn[0]));
        }
        var config = new UseLiteConfig
        {
            VocabSize = (int)embedding[0], EmbeddingSize = (int)embedding[1], HiddenSize = hidden,
            MaxLength = maxLength.Value, LayerNormEpsilon = eps.Value, L2Epsilon = l2Eps.Value,
            TimingChannels = 2 * (int)Need("timing.inv_timescales").Shape[0], Layers = layers,
        };
        var errors = config.Validate();
        if (errors.Count > 0)
            throw new CadreException($"{source}: the graph does not describe a USE-lite encoder: {string.Join("; ", errors)}");
        return (config, tensors);

        void Add(string key, long[] shape, float[] values) =>
            tensors.Add(new RawTensor(key, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));

        // TF kernels are (in, out), possibly with leading 1×1 conv dimensions; linears are (out, in).
        void AddLinear(string site, string part, long[] shape, float[] values)
        {
            if (part == "bias") { Add(site + ".bias", shape, values); return; }
            var (rows, cols) = ((int)shape[^2], (int)shape[^1]);
            Add(site + ".weight", [cols, rows], Transpose(values, rows, cols));
        }

        void AddQkv(int layer, string part, long[] shape, float[] values)
        {
            var width = (int)shape[^1] / 3;
            var sizes = splits.TryGetValue(layer, out var s) ? s : [width, width, width];
            if (sizes.Length != 3 || sizes.Sum() != shape[^1] || sizes.Distinct().Count() != 1)
                throw new CadreException($"{source}: layer {layer} splits qkv as [{string.Join(", ", sizes)}]");
            string[] names = ["query", "key", "value"];
            if (part == "bias")
            {
                for (var k = 0; k < 3; k++)
                    Add($"layers.{layer}.attention.{names[k]}.bias", [width], values[(k * width)..((k + 1) * width)]);
                return;
            }
            var rows = (int)shape[^2];
            var full = Transpose(values, rows, 3 * width); // (3w, in)
            for (var k = 0; k < 3; k++)
                Add($"layers.{layer}.attention.{names[k]}.weight", [width, rows], full[(k * width * rows)..((k + 1) * width * rows)]);
        }
    }

    private static float[] Transpose(float[] values, int rows, int cols)
    {
        var t = new float[values.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                t[c * rows + r] = values[r * cols + c];
        return t;
    }

    private static string Norm(string part) => part == "scale" ? "weight" : "bias";
    private static string Ffn(string conv) => conv == "1" ? "intermediate" : "output";
    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    [GeneratedRegex(@"Layer_(\d+)/AddTimingSignal/TimingSignal/ExpandDims_1$")] private static partial Regex Timing();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_(scale|bias)/")] private static partial Regex AttentionNorm();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_(scale|bias)/")] private static partial Regex FfnNorm();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/dense/(kernel|bias)/")] private static partial Regex Residual();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/MultiheadAttention/qkv_transform_single/(kernel|bias)/")] private static partial Regex Qkv();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/MultiheadAttention/output_transform_single/(kernel|bias)/")] private static partial Regex AttentionOut();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/FFN/conv(1|2)/Tensordot/Reshape_1$")] private static partial Regex FfnKernel();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/FFN/conv(1|2)/bias/")] private static partial Regex FfnBias();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/MultiheadAttention/mul/y$")] private static partial Regex Scale();
    [GeneratedRegex(@"Layer_(\d+)/TransformerLayer/MultiheadAttention/Const$")] private static partial Regex SplitSizes();
    [GeneratedRegex(@"split_heads/split_last_dimension/Reshape/shape/2$")] private static partial Regex HeadCount();
    [GeneratedRegex(@"ClipToMaxLength/Less/y$")] private static partial Regex ClipLength();
    [GeneratedRegex(@"layer_norm/Cast/x$")] private static partial Regex Epsilon();
    [GeneratedRegex(@"l2_normalize/Maximum/y$")] private static partial Regex L2Epsilon();
    [GeneratedRegex(@"attention_bias_ignore_padding/mul/y$")] private static partial Regex PaddingBias();
}
