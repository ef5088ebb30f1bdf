using System.Text.Json;
using Cadre.Adapters;
using Cadre.Tensors;

namespace Cadre.Specialists;

/// <summary>
/// Moves specialists in and out of <c>CADRE_HOME</c> as self-contained folders: the PEFT pair
/// (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>) that <c>PeftModel.from_pretrained</c> reads, the
/// head (<c>head.safetensors</c>), the labels (<c>labels.json</c>) and <c>cadre.json</c>. Import checks every
/// file before anything is stored, and stores by one rename.
/// </summary>
public static class SpecialistTransfer
{
    public const string LabelsFile = "labels.json";

    /// <summary>Files a specialist folder may hold; nothing else is exported or imported.</summary>
    private static readonly string[] Known =
        [SpecialistRecord.FileName, SpecialistRecord.HeadFile, AdapterFiles.ConfigFile, AdapterFiles.WeightsFile, "model.safetensors",
         Routing.RoutingSample.FileName];

    public static IReadOnlyList<string> Export(string home, string name, string target)
    {
        var catalog = new SpecialistCatalog(home);
        var record = catalog.Get(name);
        var source = catalog.FolderOf(name);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()
            && !File.Exists(Path.Combine(target, SpecialistRecord.FileName)))
            throw new CadreException($"{target}: exists and is not an exported specialist; choose an empty or new folder");
        Directory.CreateDirectory(target);
        var written = new List<string>();
        foreach (var file in Known.Where(f => File.Exists(Path.Combine(source, f))))
        {
            File.Copy(Path.Combine(source, file), Path.Combine(target, file), overwrite: true);
            written.Add(file);
        }
        File.WriteAllText(Path.Combine(target, LabelsFile), JsonSerializer.Serialize(record.Labels));
        written.Add(LabelsFile);
        return written;
    }

    /// <summary>Checks an exported folder and stores it as <paramref name="name"/> (default: the name in its cadre.json).</summary>
    public static SpecialistRecord Import(string home, string folder, string? name = null)
    {
        if (!Directory.Exists(folder))
            throw new CadreException($"{folder}: no such folder");
        var recordFile = Path.Combine(folder, SpecialistRecord.FileName);
        if (!File.Exists(recordFile))
            throw new CadreException(File.Exists(Path.Combine(folder, AdapterFiles.ConfigFile))
                ? $"{folder}: a bare PEFT adapter has no task head or labels; Cadre imports folders written by 'cadre specialist export' (with {SpecialistRecord.FileName})"
                : $"{folder}: no {SpecialistRecord.FileName}; not an exported specialist");
        var record = SpecialistCatalog.Read(recordFile);
        if (name is not null)
            record = record with { Name = name };
        Store.BaseCatalog.ValidateName(record.Name);
        var catalog = new SpecialistCatalog(home);
        if (Directory.Exists(catalog.FolderOf(record.Name)))
            throw new CadreException($"specialist '{record.Name}' already exists; import under another name with --name");
        Check(folder, record);
        catalog.Save(record, staging =>
        {
            foreach (var file in Known.Where(f => f != SpecialistRecord.FileName && File.Exists(Path.Combine(folder, f))))
                File.Copy(Path.Combine(folder, file), Path.Combine(staging, file));
        });
        return record;
    }

    private static void Check(string folder, SpecialistRecord record)
    {
        var headFile = Path.Combine(folder, SpecialistRecord.HeadFile);
        if (!File.Exists(headFile))
            throw new CadreException($"{folder}: no {SpecialistRecord.HeadFile}");
        using (var head = SafetensorsReader.Open(headFile))
        {
            var weight = head.Tensors.FirstOrDefault(t => t.Name == "classifier.weight")
                ?? throw new CadreException($"{headFile}: no 'classifier.weight'");
            var regression = record.Task == "regression";
            var outputs = regression ? 1 : record.Labels.Count;
            if (weight.Shape.Length != 2 || weight.Shape[0] != outputs)
                throw new CadreException($"{headFile}: classifier.weight has shape [{string.Join(", ", weight.Shape)}] but a {record.Task} specialist with {record.Labels.Count} labels needs {outputs} outputs");
            if (regression && !head.Tensors.Any(t => t.Name == "target_mean"))
                throw new CadreException($"{headFile}: a regression head needs 'target_mean' and 'target_std'");
        }
        var routing = Path.Combine(folder, Routing.RoutingSample.FileName);
        if (File.Exists(routing))
            Routing.RoutingSample.Read(routing, record.Name, record.Labels.Count); // validates version, shapes and labels
        if (record.Method == "head")
            return;
        var method = AdapterMethods.Get(record.Method);
        var config = AdapterFiles.ReadConfig(folder);
        if (method.PeftType is not null)
        {
            if (config is null)
                throw new CadreException($"{folder}: method '{record.Method}' needs {AdapterFiles.ConfigFile}");
            var peftType = AdapterFiles.JsonText(config, "peft_type", Path.Combine(folder, AdapterFiles.ConfigFile));
            if (!method.Reads(peftType))
                throw new CadreException($"{folder}: {AdapterFiles.ConfigFile} says peft_type {peftType}, {SpecialistRecord.FileName} says method {record.Method}");
        }
        var weights = Path.Combine(folder, method.PeftType is null ? "model.safetensors" : AdapterFiles.WeightsFile);
        if (!File.Exists(weights))
            throw new CadreException($"{folder}: no {Path.GetFileName(weights)}");
        using var reader = SafetensorsReader.Open(weights); // validates the header and every offset
        if (reader.Tensors.Count == 0)
            throw new CadreException($"{weights}: holds no tensors");
    }
}
