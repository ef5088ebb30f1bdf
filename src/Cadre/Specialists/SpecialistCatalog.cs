using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Store;

namespace Cadre.Specialists;

/// <summary>
/// Trained specialists under <c>CADRE_HOME/specialists/NAME/</c> (<c>cadre.json</c> and the head's tensors).
/// A save is staged and made visible by one rename. Versioning arrives with the store issue.
/// </summary>
public sealed class SpecialistCatalog(string home)
{
    /// <summary>How cadre.json is written: snake_case keys and enum values, indented.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private const long MaxRecordBytes = 16 << 20;

    public string Folder => Path.Combine(home, "specialists");

    public string FolderOf(string name) => Path.Combine(Folder, name);

    public IReadOnlyList<SpecialistRecord> List() => !Directory.Exists(Folder) ? []
        : Directory.GetDirectories(Folder).Where(d => File.Exists(Path.Combine(d, SpecialistRecord.FileName)))
            .Select(d => Read(Path.Combine(d, SpecialistRecord.FileName))).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();

    public SpecialistRecord Get(string name)
    {
        BaseCatalog.ValidateName(name);
        var file = Path.Combine(FolderOf(name), SpecialistRecord.FileName);
        if (!File.Exists(file))
        {
            var known = List().Select(r => r.Name).ToList();
            throw new CadreException($"unknown specialist '{name}'" + (known.Count > 0 ? $"; trained specialists: {string.Join(", ", known)}" : "; none trained yet (cadre train cadre.yaml)"));
        }
        return Read(file);
    }

    /// <summary>Writes the record and lets <paramref name="writeFiles"/> add tensors, then replaces any older one in one rename.</summary>
    public void Save(SpecialistRecord record, Action<string> writeFiles)
    {
        BaseCatalog.ValidateName(record.Name);
        var staging = Path.Combine(home, "tmp", "specialist-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(staging);
        try
        {
            writeFiles(staging);
            File.WriteAllText(Path.Combine(staging, SpecialistRecord.FileName), JsonSerializer.Serialize(record, Json));
            Directory.CreateDirectory(Folder);
            var target = FolderOf(record.Name);
            if (Directory.Exists(target))
            {
                var old = target + ".old-" + Guid.NewGuid().ToString("N")[..8];
                Directory.Move(target, old);
                Directory.Move(staging, target);
                Directory.Delete(old, recursive: true);
            }
            else
                Directory.Move(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>Reads and checks a <c>cadre.json</c>.</summary>
    public static SpecialistRecord Read(string file)
    {
        if (new FileInfo(file).Length > MaxRecordBytes)
            throw new CadreException($"{file}: larger than {MaxRecordBytes} bytes; not a specialist record");
        try
        {
            var record = JsonSerializer.Deserialize<SpecialistRecord>(File.ReadAllText(file), Json)
                         ?? throw new CadreException($"{file}: empty");
            if (record.FormatVersion is not (SpecialistRecord.CurrentVersion or SpecialistRecord.MultiTaskVersion))
                throw new CadreException($"{file}: format_version {record.FormatVersion} is not supported (this Cadre reads {SpecialistRecord.CurrentVersion} and {SpecialistRecord.MultiTaskVersion})");
            if ((record.FormatVersion == SpecialistRecord.MultiTaskVersion) != record.Tasks is { Count: > 0 })
                throw new CadreException($"{file}: format_version {record.FormatVersion} " + (record.Tasks is null
                    ? "records list their tasks in 'tasks'" : "records have one task at the top level, not 'tasks'"));
            if (record.Tasks is null && record.Spec is null)
                throw new CadreException($"{file}: 'spec' is missing");
            return record;
        }
        catch (JsonException e)
        {
            throw new CadreException($"{file}: not a specialist record ({e.Message})");
        }
    }
}
