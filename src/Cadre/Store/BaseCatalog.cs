using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cadre.Store;

/// <summary>
/// Imported bases under <c>CADRE_HOME/bases/NAME/</c>: the model's files plus <c>base.json</c>. An import is
/// prepared in a staging folder and becomes visible by one rename, so a failed import leaves nothing behind.
/// </summary>
public sealed partial class BaseCatalog(string home)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Home { get; } = home;

    /// <summary>Hears the long steps of an import (storing the base's bytes).</summary>
    public IProgress<Util.ProgressUpdate>? Progress { get; init; }
    public string BasesFolder => Path.Combine(Home, "bases");

    /// <summary>
    /// Names of bases, specialists and routers (the one rule for all): lower-case letters, digits, '.', '_' and '-',
    /// starting with a letter or digit. <paramref name="kind"/> says in the error which kind of name was wrong.
    /// </summary>
    public static void ValidateName(string name, string kind = "base")
    {
        if (!NamePattern().IsMatch(name))
            throw new CadreException($"invalid {kind} name '{CadreException.Shown(name)}': use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
    }

    public IReadOnlyList<BaseRecord> List()
    {
        if (!Directory.Exists(BasesFolder))
            return [];
        return Directory.GetDirectories(BasesFolder)
            .Where(d => File.Exists(Path.Combine(d, BaseRecord.FileName)))
            .Select(d => ReadRecord(Path.Combine(d, BaseRecord.FileName)))
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    public bool Contains(string name) => File.Exists(Path.Combine(FolderOf(name), BaseRecord.FileName));

    /// <summary>The record of <paramref name="name"/>, or a CadreException listing the names there are.</summary>
    public BaseRecord Get(string name)
    {
        ValidateName(name);
        var file = Path.Combine(FolderOf(name), BaseRecord.FileName);
        if (!File.Exists(file))
        {
            var known = List().Select(r => r.Name).ToList();
            throw new CadreException($"unknown base '{name}'" + (known.Count > 0
                ? $"; imported bases: {string.Join(", ", known)}"
                : "; none imported yet (cadre base import ...)"));
        }
        return ReadRecord(file);
    }

    public string FolderOf(string name) => Path.Combine(BasesFolder, name);

    /// <summary>
    /// The base a specialist trained on base <paramref name="name"/> with content <paramref name="contentHash"/> runs on:
    /// that base when it holds that content, else a base holding that content under another name (one added with
    /// <c>cadre bundle apply --base-name</c>), else the named base (whose other content the caller then refuses).
    /// </summary>
    public BaseRecord ForContent(string name, string contentHash)
    {
        if (Contains(name) && Get(name) is var named && named.ContentHash == contentHash)
            return named;
        return List().FirstOrDefault(b => b.ContentHash == contentHash) ?? Get(name);
    }

    /// <summary>
    /// A fresh staging folder on the same file system, so that <see cref="Commit"/> is one rename. It is held (see
    /// <see cref="StagingLease"/>) until <see cref="Commit"/> or <see cref="StagingLease.Release"/>: gc leaves it alone
    /// while this process lives, and removes it once the process is gone.
    /// </summary>
    public string CreateStaging() => StagingLease.CreateHeld(Home, "import");

    /// <summary>Writes the record into the staging folder and moves it into place atomically.</summary>
    public void Commit(string staging, BaseRecord record, bool replace)
    {
        ValidateName(record.Name);
        File.WriteAllText(Path.Combine(staging, BaseRecord.FileName), JsonSerializer.Serialize(record, Json));
        Directory.CreateDirectory(BasesFolder);
        var target = FolderOf(record.Name);
        if (Directory.Exists(target) && !replace)
            throw new CadreException($"base '{record.Name}' already exists (use --force to replace it)");
        // The store keeps the base too (once, whatever number of specialists use it): bundles can carry it, verify
        // checks it, and the first version of a fully fine-tuned specialist is stored as a delta against it.
        new CadreStore(Home).CommitBase(record.Name, staging, new StoreBase(record.Name, record.Architecture, record.ContentHash), Progress);
        if (Directory.Exists(target))
        {
            var old = target + ".old-" + Guid.NewGuid().ToString("N")[..8];
            Directory.Move(target, old);
            Directory.Move(staging, target);
            StagingLease.Release(staging);
            Directory.Delete(old, recursive: true);
            return;
        }
        Directory.Move(staging, target);
        StagingLease.Release(staging);
    }

    private static BaseRecord ReadRecord(string file)
    {
        BaseRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<BaseRecord>(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw new CadreException($"{file}: not a valid base record: {e.Message}");
        }
        if (record is null)
            throw new CadreException($"{file}: empty base record");
        if (record.FormatVersion != BaseRecord.CurrentVersion)
            throw new CadreException($"{file}: format_version {record.FormatVersion} is not supported (this Cadre reads {BaseRecord.CurrentVersion})");
        return record;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
