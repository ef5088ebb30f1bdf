using System.Text.Json;
using Cadre.Adapters;
using Cadre.Tensors;
using Cadre.Util;

namespace Cadre.Specialists;

/// <summary>
/// Moves specialists in and out of <c>CADRE_HOME</c> as self-contained folders: the PEFT pair
/// (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>) that <c>PeftModel.from_pretrained</c> reads, the
/// head (<c>head.safetensors</c>; a merged specialist has <c>head-TASK.safetensors</c> per task), the labels
/// (<c>labels.json</c>: the list, or per task for a merged specialist) and <c>cadre.json</c>. Import checks every
/// file before anything is stored, and stores by one rename.
/// </summary>
public static class SpecialistTransfer
{
    public const string LabelsFile = "labels.json";

    /// <summary>Files a specialist folder may hold besides its heads; nothing else is exported or imported.</summary>
    private static readonly string[] Known =
        [SpecialistRecord.FileName, AdapterFiles.ConfigFile, AdapterFiles.WeightsFile, "model.safetensors",
         RoutingSample.FileName];

    private static IEnumerable<string> Files(SpecialistRecord record) => Known.Concat(record.TaskList.Select(t => t.Head)).Distinct();

    public static IReadOnlyList<string> Export(string home, string name, string target, string? rev = null)
    {
        var catalog = new SpecialistCatalog(home);
        var (record, version) = catalog.GetVersion(name, rev);
        var source = catalog.Store.FolderOf(version);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()
            && !File.Exists(Path.Combine(target, SpecialistRecord.FileName)))
            throw new CadreException($"{target}: exists and is not an exported specialist; choose an empty or new folder");
        Directory.CreateDirectory(target);
        var written = new List<string>();
        foreach (var file in Files(record).Where(f => File.Exists(Path.Combine(source, f))))
        {
            File.Copy(Path.Combine(source, file), Path.Combine(target, file), overwrite: true);
            written.Add(file);
        }
        File.WriteAllText(Path.Combine(target, LabelsFile), record.Tasks is null ? JsonSerializer.Serialize(record.Labels)
            : JsonSerializer.Serialize(record.TaskList.ToDictionary(t => t.Name, t => t.Labels)));
        written.Add(LabelsFile);
        return written;
    }

    /// <summary>
    /// Checks an exported folder and stores it as <paramref name="name"/> (default: the name in its cadre.json): a new
    /// specialist, or with <paramref name="newVersion"/> a new version on top of an existing one's HEAD (a specialist
    /// retrained elsewhere, or edited by hand).
    /// </summary>
    public static SpecialistRecord Import(string home, string folder, string? name = null, bool newVersion = false)
    {
        if (!Directory.Exists(folder))
            throw new CadreException($"{folder}: no such folder");
        var recordFile = Path.Combine(folder, SpecialistRecord.FileName);
        if (!File.Exists(recordFile) && new FileInfo(recordFile).LinkTarget is null)
            throw new CadreException(File.Exists(Path.Combine(folder, AdapterFiles.ConfigFile))
                ? $"{folder}: a bare PEFT adapter has no task head or labels; Cadre imports folders written by 'cadre specialist export' (with {SpecialistRecord.FileName})"
                : $"{folder}: no {SpecialistRecord.FileName}; not an exported specialist");
        InputFiles.RequireRegular(recordFile);
        var record = SpecialistCatalog.Read(recordFile);
        if (name is not null)
            record = record.Renamed(name);
        Store.BaseCatalog.ValidateName(record.Name, "specialist");
        var catalog = new SpecialistCatalog(home);
        if (catalog.Contains(record.Name) && !newVersion)
            throw new CadreException($"specialist '{record.Name}' already exists; import under another name with --name, or as its next version with --new-version");
        if (newVersion && !catalog.Contains(record.Name))
            throw new CadreException($"--new-version: there is no specialist '{record.Name}' yet to add a version to");
        var files = Files(record).Where(f => f != SpecialistRecord.FileName && Present(Path.Combine(folder, f))).ToList();
        foreach (var file in files)
            InputFiles.RequireRegular(Path.Combine(folder, file)); // before anything opens them: a FIFO would block
        Check(home, folder, record);
        InputFiles.RequireFreeSpace(home, 2 * files.Sum(f => new FileInfo(Path.Combine(folder, f)).Length), folder);
        record = record.Upgraded(); // stored at the current version: a record exported before contracts gains the one it implies
        catalog.Save(record, staging =>
        {
            foreach (var file in files)
            {
                if (file.EndsWith(".safetensors", StringComparison.Ordinal))
                    SafetensorsCopy.Copy(Path.Combine(folder, file), Path.Combine(staging, file), Path.Combine(folder, file));
                else
                    File.Copy(Path.Combine(folder, file), Path.Combine(staging, file));
            }
        }, $"import from {Path.GetFullPath(folder)}");
        return record;
    }

    /// <summary>A file, or a link (even a broken one, which the regular-file check then names).</summary>
    private static bool Present(string path) => File.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static void Check(string home, string folder, SpecialistRecord record)
    {
        foreach (var task in record.TaskList)
        {
            if (Path.GetFileName(task.Head) != task.Head || !task.Head.EndsWith(".safetensors", StringComparison.Ordinal))
                throw new CadreException($"{folder}: task '{CadreException.Shown(task.Name)}' names head file '{CadreException.Shown(task.Head)}', which is not a file of the folder");
            var headFile = Path.Combine(folder, task.Head);
            if (!File.Exists(headFile))
                throw new CadreException($"{folder}: no {task.Head}");
            SafetensorsReader.Open(headFile).Dispose(); // validates the header and every offset
        }
        var routing = Path.Combine(folder, RoutingSample.FileName);
        if (File.Exists(routing))
            RoutingSample.Read(routing, record.Name, record.Labels.Count); // validates version, shapes and labels
        var weights = "";
        var adapter = record.Contract.Adapter;
        if (adapter.Method != "head")
        {
            var method = AdapterMethods.Get(adapter.Method);
            var config = AdapterFiles.ReadConfig(folder);
            if (adapter.Config is not null)
            {
                if (config is null)
                    throw new CadreException($"{folder}: method '{adapter.Method}' needs {adapter.Config}");
                var peftType = AdapterFiles.JsonText(config, "peft_type", Path.Combine(folder, adapter.Config));
                if (!method.Reads(peftType))
                    throw new CadreException($"{folder}: {adapter.Config} says peft_type {CadreException.Shown(peftType)}, {SpecialistRecord.FileName} says method {adapter.Method}");
            }
            weights = Path.Combine(folder, adapter.Weights!);
            if (!File.Exists(weights))
                throw new CadreException($"{folder}: no {Path.GetFileName(weights)}");
            using var reader = SafetensorsReader.Open(weights); // validates the header and every offset
            if (reader.Tensors.Count == 0)
                throw new CadreException($"{weights}: holds no tensors");
        }
        SpecialistCheck.Run(home, folder, record, weights); // against the base: shapes, config, content hash, finite weights
    }
}
