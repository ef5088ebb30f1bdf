using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Store;

namespace Cadre.Specialists;

/// <summary>
/// Trained specialists, kept as versions in the store (<see cref="CadreStore"/>): every save records a new version on
/// top of HEAD, and a specialist's files are read from the materialized folder of the version asked for (HEAD unless
/// a REV is given). Folders that earlier Cadre releases wrote under <c>CADRE_HOME/specialists/NAME/</c> are committed
/// as a first version when first seen, then removed.
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

    public CadreStore Store { get; } = new(home);

    private string LegacyFolder => Path.Combine(home, "specialists");

    public IReadOnlyList<SpecialistRecord> List()
    {
        Migrate();
        return Store.Specialists().Select(n => Get(n)).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    public bool Contains(string name)
    {
        Migrate();
        return Store.HasSpecialist(name);
    }

    /// <summary>The record of HEAD (or of <paramref name="rev"/>); an unknown name lists the stored ones.</summary>
    public SpecialistRecord Get(string name, string? rev = null) => GetVersion(name, rev).Record;

    public (SpecialistRecord Record, VersionInfo Version) GetVersion(string name, string? rev = null)
    {
        Migrate();
        var version = Store.Resolve(name, rev);
        return (RecordOf(version), version);
    }

    /// <summary>The <c>cadre.json</c> of a stored version, read straight from the store.</summary>
    public SpecialistRecord RecordOf(VersionInfo version)
    {
        var what = $"{version.Name}@{version.Number}";
        var bytes = Store.ReadFile(version, SpecialistRecord.FileName, MaxRecordBytes)
                    ?? throw new CadreException($"{what}: the version holds no {SpecialistRecord.FileName}; not a specialist");
        return Parse(bytes, what);
    }

    /// <summary>The folder holding HEAD's files (or <paramref name="rev"/>'s): read them, never write them.</summary>
    public string FolderOf(string name, string? rev = null) => Store.FolderOf(GetVersion(name, rev).Version);

    /// <summary>
    /// Writes the record and lets <paramref name="writeFiles"/> add tensors into a staging folder, then records it as
    /// a new version (its message saying where it came from) and makes it HEAD. A commit that meets a busy store or
    /// an IO error is tried again (<see cref="StoreRetry"/>).
    /// </summary>
    public VersionInfo Save(SpecialistRecord record, Action<string> writeFiles, string message, Action<string>? log = null)
    {
        Refs.CheckName(record.Name);
        Migrate();
        using var lease = StagingLease.Create(home, "specialist"); // held until stored: gc leaves it alone
        var staging = lease.Path;
        Check(record, $"specialist '{record.Name}'"); // nothing is stored that would not read back
        writeFiles(staging);
        File.WriteAllText(Path.Combine(staging, SpecialistRecord.FileName), JsonSerializer.Serialize(record, Json));
        var (version, _) = StoreRetry.Run(() => Store.Commit(record.Name, staging, BaseOf(record), message), log);
        Store.Adopt(version, staging); // the staged files are the version's: no need to rebuild them on first read
        return version;
    }

    public static StoreBase BaseOf(SpecialistRecord record) =>
        new(record.Base.Name, record.Base.Architecture, record.Base.ContentHash);

    /// <summary>Reads and checks a <c>cadre.json</c> file.</summary>
    public static SpecialistRecord Read(string file)
    {
        if (new FileInfo(file).Length > MaxRecordBytes)
            throw new CadreException($"{file}: larger than {MaxRecordBytes} bytes; not a specialist record");
        return Parse(File.ReadAllBytes(file), file);
    }

    public static SpecialistRecord Parse(byte[] bytes, string what)
    {
        try
        {
            var record = JsonSerializer.Deserialize<SpecialistRecord>(bytes, Json) ?? throw new CadreException($"{what}: empty");
            Check(record, what);
            return record;
        }
        catch (JsonException e)
        {
            throw new CadreException($"{what}: not a specialist record ({e.Message})");
        }
    }

    /// <summary>
    /// Refuses a record whose fields do not fit its <c>format_version</c> (read or about to be written): version 1 has
    /// one task at the top level, version 2 lists them in <c>tasks</c>, version 3 is either with an <c>inference</c>
    /// contract that agrees with the rest of the record.
    /// </summary>
    public static void Check(SpecialistRecord record, string what)
    {
        var version = record.FormatVersion;
        if (version is not (SpecialistRecord.SingleTaskVersion or SpecialistRecord.MultiTaskVersion or SpecialistRecord.ContractVersion))
            throw new CadreException($"{what}: format_version {version} is not supported (this Cadre reads {SpecialistRecord.SingleTaskVersion}, "
                                     + $"{SpecialistRecord.MultiTaskVersion} and {SpecialistRecord.ContractVersion})");
        if (version != SpecialistRecord.ContractVersion && (version == SpecialistRecord.MultiTaskVersion) != record.Tasks is { Count: > 0 })
            throw new CadreException($"{what}: format_version {version} " + (record.Tasks is null
                ? "records list their tasks in 'tasks'" : "records have one task at the top level, not 'tasks'"));
        if (version == SpecialistRecord.ContractVersion && record.Tasks is { Count: 0 })
            throw new CadreException($"{what}: 'tasks' is empty");
        if (record.Tasks is null && record.Spec is null)
            throw new CadreException($"{what}: 'spec' is missing");
        if ((version == SpecialistRecord.ContractVersion) != record.Inference is not null)
            throw new CadreException($"{what}: format_version {version} " + (record.Inference is null
                ? "records carry their inference contract in 'inference'" : "records have no 'inference' (it came with format_version 3)"));
        if (record.Inference is { } contract && InferenceContract.Problems(record, contract).ToList() is { Count: > 0 } problems)
            throw new CadreException($"{what}: " + string.Join("; ", problems));
    }

    /// <summary>Commits each pre-store folder as a first version, then removes it (only once it is stored).</summary>
    private void Migrate()
    {
        if (!Directory.Exists(LegacyFolder)) return;
        foreach (var folder in Directory.GetDirectories(LegacyFolder))
        {
            var file = Path.Combine(folder, SpecialistRecord.FileName);
            var name = Path.GetFileName(folder);
            if (!File.Exists(file) || Store.HasSpecialist(name)) continue;
            var record = Read(file);
            Store.Commit(name, folder, BaseOf(record), $"migrated from {folder}");
            using var trash = StagingLease.Create(home, "migrated", folder: false); // removed when disposed
            try { Directory.Move(folder, trash.Path); }
            catch (DirectoryNotFoundException) { } // another process migrated it meanwhile
        }
        if (!Directory.EnumerateFileSystemEntries(LegacyFolder).Any()) Directory.Delete(LegacyFolder);
    }
}
