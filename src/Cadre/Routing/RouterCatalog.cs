using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Specialists;
using Cadre.Store;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Routing;

/// <summary>A specialist a router chooses among, pinned by the SHA-256 of its <c>cadre.json</c> when the router was built.</summary>
public sealed record RoutedSpecialist(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("fingerprint")] string Fingerprint,
    [property: JsonPropertyName("rows")] int Rows);

/// <summary>How a router abstains: the signal it watches, the coverage it was set for, and the threshold that gave it.</summary>
public sealed record Abstention(
    [property: JsonPropertyName("signal")] string Signal,
    [property: JsonPropertyName("coverage")] double Coverage,
    [property: JsonPropertyName("threshold")] double Threshold);

/// <summary>
/// <c>router.json</c> (format version 1) in <c>CADRE_HOME/routers/NAME/</c>, beside <c>router.safetensors</c> (the
/// method's tensors). Everything a router needs was captured at build time: it never reads training data again.
/// </summary>
public sealed record RouterRecord
{
    public const string FileName = "router.json";
    public const string TensorsFile = "router.safetensors";
    public const int CurrentVersion = 1;
    /// <summary>The router <c>cadre route</c> and <c>cadre ask</c> use when none is named.</summary>
    public const string DefaultName = "default";

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("base")] public required BaseReference Base { get; init; }
    [JsonPropertyName("dimension")] public required int Dimension { get; init; }
    [JsonPropertyName("max_length")] public required int MaxLength { get; init; }
    [JsonPropertyName("specialists")] public required IReadOnlyList<RoutedSpecialist> Specialists { get; init; }
    [JsonPropertyName("temperature")] public required double Temperature { get; init; }
    [JsonPropertyName("abstention")] public required Abstention Abstention { get; init; }
    /// <summary>On the held-out rows: <c>rows</c>, <c>accuracy</c>, <c>ece_uncalibrated</c>, <c>ece</c>, <c>nll</c>.</summary>
    [JsonPropertyName("calibration")] public required IReadOnlyDictionary<string, double> Calibration { get; init; }
    [JsonPropertyName("held_out")] public required double HeldOut { get; init; }
    [JsonPropertyName("seed")] public required int Seed { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>Built routers under <c>CADRE_HOME/routers/NAME/</c>; a save is staged and made visible by one rename.</summary>
public sealed class RouterCatalog(string home)
{
    /// <summary>cadre.json's settings, plus NaN and infinities as strings (an empty held-out set, a never-abstaining threshold).</summary>
    public static readonly JsonSerializerOptions Json = new(SpecialistCatalog.Json)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Folder => Path.Combine(home, "routers");

    public string FolderOf(string name) => Path.Combine(Folder, name);

    public IReadOnlyList<RouterRecord> List() => !Directory.Exists(Folder) ? []
        : Directory.GetDirectories(Folder).Where(d => File.Exists(Path.Combine(d, RouterRecord.FileName)))
            .Select(d => Read(Path.Combine(d, RouterRecord.FileName))).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();

    public bool Contains(string name)
    {
        BaseCatalog.ValidateName(name);
        return File.Exists(Path.Combine(FolderOf(name), RouterRecord.FileName));
    }

    public RouterRecord Get(string name)
    {
        BaseCatalog.ValidateName(name, "router");
        var file = Path.Combine(FolderOf(name), RouterRecord.FileName);
        if (File.Exists(file)) return Read(file);
        var known = List().Select(r => r.Name).ToList();
        throw new CadreException($"no router '{name}'" + (known.Count > 0 ? $"; built routers: {string.Join(", ", known)}"
            : "; build one with 'cadre router build' (it routes among every trained specialist)"));
    }

    public void Save(RouterRecord record, IReadOnlyDictionary<string, Tensor> tensors)
    {
        BaseCatalog.ValidateName(record.Name, "router");
        using var lease = StagingLease.Create(home, "router"); // held until moved into place: gc leaves it alone
        var staging = lease.Path;
        try
        {
            SafetensorsWriter.Write(Path.Combine(staging, RouterRecord.TensorsFile), tensors,
                                    new Dictionary<string, string> { ["format"] = "cadre-router", ["method"] = record.Method });
            File.WriteAllText(Path.Combine(staging, RouterRecord.FileName), JsonSerializer.Serialize(record, Json));
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

    public void Remove(string name)
    {
        Get(name);
        Directory.Delete(FolderOf(name), recursive: true);
    }

    public static RouterRecord Read(string file)
    {
        if (new FileInfo(file).Length > 16 << 20)
            throw new CadreException($"{file}: larger than 16 MiB; not a router record");
        try
        {
            var record = JsonSerializer.Deserialize<RouterRecord>(File.ReadAllText(file), Json)
                         ?? throw new CadreException($"{file}: empty");
            if (record.FormatVersion != RouterRecord.CurrentVersion)
                throw new CadreException($"{file}: format_version {record.FormatVersion} is not supported (this Cadre reads {RouterRecord.CurrentVersion})");
            return record;
        }
        catch (JsonException e)
        {
            throw new CadreException($"{file}: not a router record ({e.Message})");
        }
    }

    /// <summary>SHA-256 of a specialist's <c>cadre.json</c>: changes whenever it is retrained or replaced.</summary>
    public static string Fingerprint(string home, string specialist)
    {
        var catalog = new SpecialistCatalog(home);
        if (!catalog.Contains(specialist)) return "";
        var file = Path.Combine(catalog.FolderOf(specialist), SpecialistRecord.FileName);
        return File.Exists(file) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))) : "";
    }
}
