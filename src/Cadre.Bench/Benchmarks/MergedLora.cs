using System.Text.Json;
using Cadre.Store;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Benchmarks;

/// <summary>
/// A LoRA version merged into full base weights, W + s·B·A at every site (what users export to run without
/// adapters), committed as a version of its own: the change from the base is exactly low rank up to rounding, the
/// case the store's low-rank objects are for.
/// </summary>
internal static class MergedLora
{
    public static VersionInfo CommitMerged(CadreStore store, string home, VersionInfo lora, string name, string work)
    {
        var folder = store.FolderOf(lora);
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "adapter_config.json")));
        var root = config.RootElement;
        var (r, alpha) = (root.GetProperty("r").GetDouble(), root.GetProperty("lora_alpha").GetDouble());
        var scale = root.TryGetProperty("use_rslora", out var rs) && rs.ValueKind == JsonValueKind.True ? alpha / Math.Sqrt(r) : alpha / r;
        var baseFolder = new BaseCatalog(home).FolderOf(lora.Record.Base.Name);
        var baseFile = Directory.GetFiles(baseFolder, "*.safetensors").Single();
        var output = Path.Combine(work, name);
        Directory.CreateDirectory(output);
        using var scope = NewDisposeScope();
        using var weights = SafetensorsReader.Open(baseFile);
        using var adapter = SafetensorsReader.Open(Path.Combine(folder, "adapter_model.safetensors"));
        var merged = weights.Tensors.ToDictionary(t => t.Name, t => weights.ReadTensor(t.Name), StringComparer.Ordinal);
        const string prefix = "base_model.model.";
        foreach (var a in adapter.Tensors.Where(t => t.Name.EndsWith(".lora_A.weight", StringComparison.Ordinal)))
        {
            var site = a.Name[prefix.Length..^".lora_A.weight".Length];
            if (!merged.TryGetValue(site + ".weight", out var w))
                throw new CadreException($"{baseFile}: no '{site}.weight' for the LoRA site '{site}'");
            var delta = adapter.ReadTensor(a.Name[..^"A.weight".Length] + "B.weight").mm(adapter.ReadTensor(a.Name)).mul(scale); // (out, r)·(r, in)
            merged[site + ".weight"] = w.add(delta);
        }
        SafetensorsWriter.Write(Path.Combine(output, "model.safetensors"), merged);
        return store.Commit(name, output, lora.Record.Base, $"{lora.Name}@{lora.Number} merged into the base weights").Version;
    }
}
