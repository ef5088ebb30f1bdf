using static TorchSharp.torch;

namespace Cadre.Models.Bert;

/// <summary>
/// Copies a Hugging Face state dict into a <see cref="BertNetwork"/>. Task models save the base under a prefix
/// (<c>bert.</c> in BertForSequenceClassification, <c>roberta.</c> in RobertaFor...), beside head keys
/// (<c>classifier.*</c>, <c>cls.*</c>): the prefix is found from the word embedding key, and keys outside it are
/// ignored and reported. Inside it, a missing key, an unexpected key or a wrong shape is an error.
/// </summary>
internal static class BertWeights
{
    private const string Anchor = "embeddings.word_embeddings.weight";

    // Buffers older transformers versions saved; they hold nothing a checkpoint needs to carry.
    private static readonly string[] Harmless = ["embeddings.position_ids", "embeddings.token_type_ids"];

    /// <summary>The prefix before the base's keys ("" for a bare BertModel), or a CadreException.</summary>
    public static string FindPrefix(IEnumerable<string> keys, string source)
    {
        var prefixes = keys.Where(k => k.EndsWith(Anchor, StringComparison.Ordinal))
            .Select(k => k[..^Anchor.Length]).Where(p => p.Length == 0 || p.EndsWith('.')).Distinct().ToList();
        return prefixes.Count switch
        {
            1 => prefixes[0],
            0 => throw new CadreException($"{source}: no '{Anchor}' key (nor one under a prefix such as 'bert.'): "
                + "this is not a BERT-family checkpoint"),
            _ => throw new CadreException($"{source}: several encoders in one file ({string.Join(", ",
                prefixes.Select(p => $"'{p}{Anchor}'"))}); Cadre loads one"),
        };
    }

    /// <summary>Whether the checkpoint carries BertPooler weights under <paramref name="prefix"/>.</summary>
    public static bool HasPooler(IEnumerable<string> keys, string prefix) =>
        keys.Contains(prefix + "pooler.dense.weight", StringComparer.Ordinal);

    /// <summary>
    /// Checks every key and shape first, then copies (converting dtype) one tensor at a time, so a file is never
    /// held in memory whole. <paramref name="read"/> gives a key's tensor, disposed right after its copy when
    /// <paramref name="disposeAfterCopy"/> (tensors read from a file). Returns the ignored keys outside the prefix.
    /// </summary>
    public static IReadOnlyList<string> Copy(BertNetwork network, IReadOnlyDictionary<string, long[]> shapes,
        Func<string, Tensor> read, bool disposeAfterCopy, string prefix, string source)
    {
        var expected = network.state_dict();
        var errors = new List<string>();
        var ignored = new List<string>();
        foreach (var key in shapes.Keys.Order(StringComparer.Ordinal))
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                ignored.Add(key);
                continue;
            }
            var name = key[prefix.Length..];
            if (Harmless.Contains(name))
                continue;
            if (!expected.TryGetValue(name, out var target))
            {
                errors.Add($"unexpected key '{CadreException.Shown(key)}': not part of a BERT encoder with this config.json (check num_hidden_layers and model_type)");
                continue;
            }
            var shape = shapes[key];
            if (!shape.SequenceEqual(target.shape))
                errors.Add($"key '{CadreException.Shown(key)}': shape [{string.Join(", ", shape)}] in the file, but config.json implies [{string.Join(", ", target.shape)}]");
        }
        foreach (var name in expected.Keys.Where(n => !shapes.ContainsKey(prefix + n)).Order(StringComparer.Ordinal))
            errors.Add($"missing key '{prefix}{name}'");
        if (errors.Count > 0)
        {
            const int shown = 20;
            var more = errors.Count > shown ? $"\n  ... and {errors.Count - shown} more" : "";
            throw new CadreException($"{source}: does not fit the model:\n  " + string.Join("\n  ", errors.Take(shown)) + more);
        }
        using (no_grad())
        {
            foreach (var (name, target) in expected)
            {
                var tensor = read(prefix + name);
                try
                {
                    target.copy_(tensor);
                }
                finally
                {
                    if (disposeAfterCopy)
                        tensor.Dispose();
                }
            }
        }
        return ignored;
    }
}
