using Cadre.Models.Bert;
using Cadre.Models.Llama;
using Cadre.Models.UseLite;
using Cadre.Store;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Models.Import;

/// <summary>Opens an imported base by its architecture: the one place that maps names to model types.</summary>
public static class BaseModels
{
    /// <summary>Architectures Cadre can load, by the snake_case name stored in base.json.</summary>
    public static readonly IReadOnlyList<string> Architectures = ["use_lite", "bert", "roberta", "xlm_roberta", "llama"];

    public static IBaseModel Load(string architecture, string folder) => architecture switch
    {
        UseLiteConfig.ModelType => UseLiteModel.Load(folder),
        "bert" or "roberta" or "xlm_roberta" => BertModel.Load(folder),
        "llama" => LlamaModel.Load(folder),
        _ => throw new CadreException($"architecture '{architecture}' is not one Cadre loads ({string.Join(", ", Architectures)})"),
    };

    /// <summary>Loads the base <paramref name="name"/> from the catalog.</summary>
    public static IBaseModel Load(BaseCatalog catalog, string name)
    {
        var record = catalog.Get(name);
        return Load(record.Architecture, catalog.FolderOf(name));
    }

    /// <summary>Loads a sentence encoder, or says that the base is of another kind.</summary>
    public static ISentenceEncoder LoadEncoder(BaseCatalog catalog, string name)
    {
        var model = Load(catalog, name);
        if (model is ISentenceEncoder encoder)
            return encoder;
        model.Dispose();
        throw new CadreException($"base '{name}' ({catalog.Get(name).Architecture}) is not a sentence encoder; use a use_lite or bert base");
    }

    /// <summary>Loads a causal language model, or says that the base is of another kind.</summary>
    public static ICausalLanguageModel LoadDecoder(BaseCatalog catalog, string name)
    {
        var model = Load(catalog, name);
        if (model is ICausalLanguageModel decoder)
            return decoder;
        model.Dispose();
        throw new CadreException($"base '{name}' ({catalog.Get(name).Architecture}) is not a text generator; use a llama base");
    }

    /// <summary>
    /// Throws, naming the tensor, if any weight of the loaded model is NaN or infinite. Reads each tensor's storage in
    /// place, a chunk at a time (no copy), so it costs one pass over memory the model holds anyway.
    /// </summary>
    public static void RequireFinite(IBaseModel model, string source)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in model.Module.state_dict())
        {
            var t = tensor.detach().cpu().contiguous(); // already both for a loaded base: a view, not a copy
            var dtype = DTypes.FromScalarType(t.dtype);
            if (!FiniteValues.IsFloat(dtype))
                continue;
            var size = dtype.Size();
            TensorBytes.ForEachChunk(t, (offset, chunk) =>
            {
                var bad = FiniteValues.FirstNonFinite(dtype, chunk);
                if (bad >= 0)
                    throw SafetensorsCopy.NonFinite(source, name, offset / size + bad, t.numel());
            });
        }
    }

    /// <summary>SHA-256 over the model's own state dict (see docs/formats.md): equal weights, equal hash, whatever the files.</summary>
    public static (string Hash, long Parameters, string DType) Fingerprint(IBaseModel model)
    {
        using var scope = NewDisposeScope();
        var hashes = new Dictionary<string, TensorHash>(StringComparer.Ordinal);
        long parameters = 0;
        var dtypes = new HashSet<string>();
        foreach (var (name, tensor) in model.Module.state_dict())
        {
            var t = tensor.detach().cpu().contiguous();
            var dtype = DTypes.FromScalarType(t.dtype);
            dtypes.Add(dtype.Name());
            hashes[name] = TensorHash.Compute(t); // chunked: tensors above 2 GiB hash too
        }
        parameters = model.Module.parameters().Sum(p => p.numel()); // buffers (e.g. timing constants) are not parameters
        return (TensorHash.Combine(hashes).Hex, parameters, string.Join("+", dtypes.Order()));
    }
}
