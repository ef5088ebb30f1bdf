using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Cadre.Models.Llama;

/// <summary>
/// llama2.c's float32 <c>.bin</c> checkpoints. Version 0 (legacy): seven int32 — dim, hidden_dim, n_layers,
/// n_heads, n_kv_heads, vocab_size (negative: the classifier is not shared with the embeddings), seq_len — then
/// the weights in run.c's order, including two RoPE tables run.c skips. Version 1: a 256-byte header starting with
/// the magic "ak42" and version 1, the same seven ints and a shared-classifier byte, then the weights in export.py's
/// version-1 order. Version 2 (int8 Q8_0) is refused. llama2.c keeps q and k rows in Meta's interleaved RoPE order;
/// loading permutes them to Hugging Face's rotate_half order, the one convention the model uses.
/// </summary>
internal static class Llama2cCheckpoint
{
    private const uint Magic = 0x616B3432; // "ak42" as a little-endian uint32
    private const int LegacyHeaderBytes = 7 * sizeof(int);
    private const int VersionedHeaderBytes = 256;

    internal sealed record Header(int Version, LlamaConfig Config, bool SharedClassifier, long DataOffset, long RopeTableFloats);

    /// <summary>Reads and checks the header against the file's size; null with a reason when it is not such a file.</summary>
    public static Header? TryReadHeader(string path, out string error)
    {
        error = "";
        Span<byte> head = stackalloc byte[VersionedHeaderBytes];
        long length;
        int read;
        try
        {
            using var file = File.OpenRead(path);
            length = file.Length;
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail($"{path}: cannot read ({e.Message})", out error);
        }
        if (read < LegacyHeaderBytes)
            return Fail($"{path}: too short for a llama2.c checkpoint", out error);
        var ints = MemoryMarshal.Cast<byte, int>(head[..(read / 4 * 4)]);
        var versioned = (uint)ints[0] == Magic;
        if (versioned && ints[1] != 1)
            return Fail($"{path}: llama2.c checkpoint version {ints[1]}{(ints[1] == 2 ? " (int8 Q8_0)" : "")} is not supported; export float32 weights (export.py --version 0 or 1)", out error);
        if (versioned && read < VersionedHeaderBytes)
            return Fail($"{path}: truncated llama2.c version 1 header", out error);
        var p = versioned ? ints.Slice(2, 7) : ints[..7];
        var (dim, hidden, layers, heads, kvHeads, vocab, seqLen) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || seqLen <= 0
            || dim % heads != 0 || heads % kvHeads != 0 || dim / heads % 2 != 0)
            return Fail($"{path}: not a llama2.c checkpoint (header reads dim={dim}, hidden_dim={hidden}, n_layers={layers}, n_heads={heads}, n_kv_heads={kvHeads}, vocab_size={vocab}, seq_len={seqLen})", out error);
        var shared = versioned ? head[36] != 0 : vocab > 0;
        var config = new LlamaConfig
        {
            HiddenSize = dim,
            IntermediateSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            VocabSize = Math.Abs(vocab),
            MaxPositionEmbeddings = seqLen,
            RmsNormEps = 1e-5,   // run.c's constant
            RopeTheta = 10000,   // run.c's constant
            TieWordEmbeddings = shared,
            BosTokenId = 1,
            EosTokenIds = [2],
        };
        var ropeTables = versioned ? 0L : (long)seqLen * (dim / heads); // cos and sin, seq_len × head_size / 2 each
        var offset = versioned ? VersionedHeaderBytes : LegacyHeaderBytes;
        var expected = offset + 4 * (Segments(config, versioned).Sum(s => s.Floats * s.Count) + ropeTables);
        if (expected != length)
            return Fail($"{path}: a llama2.c version {(versioned ? 1 : 0)} checkpoint with this header has {expected} bytes, the file has {length}", out error);
        return new Header(versioned ? 1 : 0, config, shared, offset, ropeTables);
    }

    /// <summary>Streams every weight into <paramref name="target"/>, one tensor at a time.</summary>
    public static void LoadInto(string path, Header header, CheckpointTarget target)
    {
        if (!BitConverter.IsLittleEndian)
            throw new CadreException($"{path}: llama2.c checkpoints are little-endian; this machine is not");
        using var file = File.OpenRead(path);
        file.Position = header.DataOffset;
        foreach (var segment in Segments(header.Config, header.Version == 1))
        {
            for (var i = 0; i < segment.Count; i++)
            {
                using var scope = NewDisposeScope();
                var weight = tensor(ReadFloats(file, segment.Floats), segment.Shape); // (out, in) or (C,)
                if (segment.PermuteHeads > 0)
                    weight = InterleavedToHalves(weight, segment.PermuteHeads);
                target.Copy(segment.Name.Replace("{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), weight);
            }
            if (header.Version == 0 && segment.Name == "model.norm.weight")
                file.Position += 4 * header.RopeTableFloats; // v0 stores RoPE tables here; run.c and Cadre recompute them
        }
    }

    /// <summary>
    /// Meta's rows (per head: pairs (2j, 2j+1) rotate together) to Hugging Face's (per head: j with j + D/2), the
    /// same permutation as transformers' convert_llama_weights_to_hf.py.
    /// </summary>
    internal static Tensor InterleavedToHalves(Tensor weight, long heads)
    {
        var (rows, cols) = (weight.shape[0], weight.shape[1]);
        return weight.view(heads, rows / heads / 2, 2, cols) // (heads, D/2, 2, C)
            .transpose(1, 2)                                 // (heads, 2, D/2, C)
            .reshape(rows, cols);                            // (heads·D, C)
    }

    private sealed record Segment(string Name, long[] Shape, int Count, long PermuteHeads = 0)
    {
        public long Floats => Shape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>The tensors in file order: per-layer ones are stored layer after layer, one kind at a time.</summary>
    private static IEnumerable<Segment> Segments(LlamaConfig c, bool versioned)
    {
        long dim = c.HiddenSize, hidden = c.IntermediateSize, vocab = c.VocabSize, kvDim = (long)c.NumKeyValueHeads * c.HeadDim;
        var layers = c.NumHiddenLayers;
        const string L = "model.layers.{i}.";
        var embed = new Segment("model.embed_tokens.weight", [vocab, dim], 1);
        var attentionNorm = new Segment(L + "input_layernorm.weight", [dim], layers);
        var ffnNorm = new Segment(L + "post_attention_layernorm.weight", [dim], layers);
        var finalNorm = new Segment("model.norm.weight", [dim], 1);
        Segment[] matrices =
        [
            new(L + "self_attn.q_proj.weight", [dim, dim], layers, c.NumAttentionHeads),
            new(L + "self_attn.k_proj.weight", [kvDim, dim], layers, c.NumKeyValueHeads),
            new(L + "self_attn.v_proj.weight", [kvDim, dim], layers),
            new(L + "self_attn.o_proj.weight", [dim, dim], layers),
        ];
        Segment[] ffn =
        [
            new(L + "mlp.gate_proj.weight", [hidden, dim], layers), // w1
            new(L + "mlp.down_proj.weight", [dim, hidden], layers), // w2
            new(L + "mlp.up_proj.weight", [hidden, dim], layers),   // w3
        ];
        IEnumerable<Segment> order = versioned
            ? [attentionNorm, ffnNorm, finalNorm, embed, .. matrices, .. ffn]
            : [embed, attentionNorm, .. matrices, ffnNorm, .. ffn, finalNorm];
        return c.TieWordEmbeddings ? order : order.Append(new Segment("lm_head.weight", [vocab, dim], 1));
    }

    private static float[] ReadFloats(FileStream file, long count)
    {
        var values = new float[count];
        const int Chunk = 1 << 24; // floats per read: spans of bytes must stay under 2 GB
        for (long start = 0; start < count; start += Chunk)
        {
            var span = values.AsSpan((int)start, (int)Math.Min(Chunk, count - start));
            file.ReadExactly(MemoryMarshal.AsBytes(span));
        }
        return values;
    }

    private static Header? Fail(string message, out string error)
    {
        error = message;
        return null;
    }
}
