using System.Text.Json;
using System.Text.Json.Nodes;
using Cadre.Models;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Adapters;

/// <summary>
/// An adapter on disk as PEFT writes it: <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> with
/// PEFT's key names (metadata <c>format: pt</c>), so the folder loads with <c>PeftModel.from_pretrained</c> and
/// PEFT's folders load here. Methods PEFT does not have (<c>full</c>) write only their weights file.
/// </summary>
public static class AdapterFiles
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Adapter files larger than this are refused before reading (a full fine-tune of a large base is bigger).</summary>
    private const long MaxConfigBytes = 1 << 20;

    public static void Save(AttachedAdapter adapter, string folder)
    {
        Directory.CreateDirectory(folder);
        if (adapter.PeftConfig is { } config)
        {
            var temp = Path.Combine(folder, ConfigFile + ".tmp");
            File.WriteAllText(temp, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, Path.Combine(folder, ConfigFile), overwrite: true);
        }
        using var scope = NewDisposeScope();
        var tensors = adapter.StateDict().Select(p => KeyValuePair.Create(p.Key, p.Value.detach().contiguous()));
        SafetensorsWriter.Write(Path.Combine(folder, adapter.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Reads <c>adapter_config.json</c>, or null when the folder has none.</summary>
    public static JsonObject? ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
            return null;
        if (new FileInfo(path).Length > MaxConfigBytes)
            throw new CadreException($"{path}: larger than {MaxConfigBytes} bytes; not an adapter config");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new CadreException($"{path}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new CadreException($"{path}: invalid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Attaches the adapter saved in <paramref name="folder"/> to <paramref name="model"/>: the method comes from
    /// <c>peft_type</c>, or from <paramref name="method"/> when the folder has no PEFT config.
    /// </summary>
    public static AttachedAdapter Load(ISentenceEncoder model, string folder, string? method)
    {
        var (kind, config) = MethodOf(folder, method);
        var adapter = kind.FromConfig(model, config, Path.Combine(folder, ConfigFile));
        try
        {
            var file = Path.Combine(folder, adapter.WeightsFile);
            if (!File.Exists(file))
                throw new CadreException($"{folder}: no {adapter.WeightsFile}");
            using var reader = SafetensorsReader.Open(file);
            using var scope = NewDisposeScope();
            var tensors = reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name), StringComparer.Ordinal);
            adapter.LoadStateDict(tensors, file);
            return adapter;
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What the adapter saved in <paramref name="folder"/> adds to <paramref name="model"/>, read from its files
    /// alone: nothing is attached to the model and nothing of it changes, so a base that others share (and runs
    /// passes meanwhile) can take its specialists this way. The files are checked against the base's site names and
    /// shapes as <see cref="Load"/> checks them. Tensors go to the caller's dispose scope.
    /// </summary>
    public static AdapterContributions ReadContributions(ISentenceEncoder model, string folder, string? method)
    {
        var (kind, config) = MethodOf(folder, method);
        if (kind.OwnsBaseWeights)
            throw new CadreException($"{folder}: this adapter changes the base's weights; it cannot share a served base");
        var file = Path.Combine(folder, WeightsFile);
        if (!File.Exists(file))
            throw new CadreException($"{folder}: no {WeightsFile}");
        using var reader = SafetensorsReader.Open(file);
        var tensors = reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name), StringComparer.Ordinal);
        return kind.Contributions(model, config, tensors, file);
    }

    /// <summary>The method from <c>peft_type</c>, or from <paramref name="method"/> when the folder has no PEFT config.</summary>
    private static (IAdapterMethod Kind, JsonObject? Config) MethodOf(string folder, string? method)
    {
        var config = ReadConfig(folder);
        var kind = config is null
            ? AdapterMethods.Get(method ?? throw new CadreException($"{folder}: no {ConfigFile}, so the adapter method is unknown"))
            : AdapterMethods.ByPeftType(JsonText(config, "peft_type", folder), Path.Combine(folder, ConfigFile));
        return (kind, config);
    }

    /// <summary>Refuses saved tensors whose keys or shapes differ from what this base needs (<paramref name="expected"/>), naming them.</summary>
    public static void CheckFits(IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var errors = new List<string>();
        foreach (var key in expected.Keys.Where(k => !tensors.ContainsKey(k)).Take(5))
            errors.Add($"missing '{key}'");
        foreach (var key in tensors.Keys.Where(k => !expected.ContainsKey(k)).Take(5))
            errors.Add($"unexpected '{key}'");
        foreach (var (key, shape) in expected)
            if (tensors.TryGetValue(key, out var t) && !t.shape.SequenceEqual(shape))
                errors.Add($"'{key}' has shape [{string.Join(", ", t.shape)}], the base needs [{string.Join(", ", shape)}]");
        if (errors.Count > 0)
            throw new CadreException($"{source}: does not fit this base: {string.Join("; ", errors)}");
    }

    public static string JsonText(JsonObject config, string field, string source) =>
        config[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new CadreException($"{source}: '{field}' is missing or not a string");

    public static double JsonNumber(JsonObject config, string field, string source, double? fallback = null) =>
        config[field] is JsonValue v && v.TryGetValue<double>(out var d) ? d
            : fallback ?? throw new CadreException($"{source}: '{field}' is missing or not a number");

    /// <summary>PEFT's <c>target_modules</c>: a list of names or suffixes, or one regular expression (full match).</summary>
    public static IReadOnlyList<string> Targets(IBaseModel model, JsonObject config, string field, string source)
    {
        switch (config[field])
        {
            case JsonValue v when v.TryGetValue<string>(out var pattern):
                var regex = new System.Text.RegularExpressions.Regex("^(?:" + pattern + ")$");
                return model.Sites.Keys.Where(s => regex.IsMatch(s)).ToList();
            case JsonArray list:
                var names = list.Select(n => n?.GetValue<string>() ?? "").ToList();
                return model.Sites.Keys.Where(s => names.Any(n => s == n || s.EndsWith("." + n, StringComparison.Ordinal))).ToList();
            case null:
                return [];
            default:
                throw new CadreException($"{source}: '{field}' must be a list of module names or a regular expression");
        }
    }
}
