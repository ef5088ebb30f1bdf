using Cadre.Tensors;
using Cadre.Tokenizers.WordPiece;

namespace Cadre.Models.Bert;

public sealed partial class BertModel
{
    /// <summary>
    /// Loads a Hugging Face or sentence-transformers folder: <c>config.json</c>, <c>model.safetensors</c> (or its
    /// shards), <c>vocab.txt</c> or a WordPiece <c>tokenizer.json</c> with <c>tokenizer_config.json</c>, and the
    /// sentence-transformers pooling files when present. Pickled checkpoints are refused, never opened.
    /// Tensors are read and copied one at a time from the memory-mapped file.
    /// </summary>
    public static BertModel Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new CadreException($"{directory}: model folder not found");
        var folder = BertFolder.TransformerFolder(directory);
        if (!Directory.Exists(folder))
            throw new CadreException($"modules.json: the Transformer module's folder {folder} does not exist");
        var config = BertConfig.Load(Path.Combine(folder, "config.json"));
        var files = BertFolder.WeightFiles(folder);
        var tokenizer = BertFolder.HasWordPieceVocabulary(folder) ? BertWordPieceTokenizer.Load(folder) : null;
        var pooling = SentencePooling.Load(directory);
        var source = files.Count == 1 ? files[0] : Path.Combine(folder, "model.safetensors.index.json");

        var readers = new List<SafetensorsReader>();
        try
        {
            var byKey = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                var reader = SafetensorsReader.Open(file);
                readers.Add(reader);
                foreach (var info in reader.Tensors)
                    if (!byKey.TryAdd(info.Name, reader))
                        throw new CadreException($"{source}: tensor '{info.Name}' appears in more than one shard");
            }
            var shapes = byKey.ToDictionary(kv => kv.Key, kv => kv.Value.Info(kv.Key).Shape, StringComparer.Ordinal);
            return Build(config, shapes, key => byKey[key].ReadTensor(key), disposeAfterCopy: true, tokenizer, pooling, source);
        }
        finally
        {
            foreach (var reader in readers)
                reader.Dispose();
        }
    }
}
