using System.Text.Json.Nodes;
using Cadre.Adapters;
using Cadre.Models;
using Cadre.Models.Import;
using Cadre.Store;
using Cadre.Tasks;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Specialists;

/// <summary>
/// Checks an exported specialist folder against its base before <see cref="SpecialistTransfer.Import"/> stores it,
/// so that nothing is stored that could never predict: the base's content hash is a real one (and the named base's,
/// when that base is here); every tensor the method puts on the base's sites is present with the right shape and a
/// float dtype, and nothing else is; the adapter config agrees with its tensors (LoRA: rank, alpha, target modules);
/// the heads fit the labels and the base's width; and no weight is NaN or infinite. When the base is not imported
/// yet, everything that does not need it is checked. Every problem is collected; the error names the first and
/// counts the others. Reads headers and weights in place (memory-mapped), never more than one base in memory.
/// </summary>
internal static class SpecialistCheck
{
    public static void Run(string home, string folder, SpecialistRecord record, string weights)
    {
        var problems = new List<string>();
        var recordFile = Path.Combine(folder, SpecialistRecord.FileName);
        var contract = record.Contract; // what serving will load: checked file by file
        var baseRecord = CheckBase(home, contract.Base, recordFile, problems);
        ISentenceEncoder? encoder = null;
        try
        {
            if (baseRecord is not null)
            {
                try { encoder = BaseModels.LoadEncoder(new BaseCatalog(home), baseRecord.Name); }
                catch (CadreException e) { problems.Add(e.Message); }
            }
            foreach (var task in contract.Tasks)
                CheckHead(Path.Combine(folder, task.Head), task, encoder?.Dimension, problems);
            if (contract.Adapter.Method != "head")
                CheckAdapter(folder, contract.Adapter, weights, encoder, problems);
        }
        finally
        {
            encoder?.Dispose();
        }
        if (problems.Count > 0)
            throw new CadreException(problems[0] + (problems.Count == 1 ? "" : $" (and {problems.Count - 1} more problem{(problems.Count == 2 ? "" : "s")}); nothing was imported"));
    }

    /// <summary>The base record to check against: the named base when it is here and holds the same content, else null.</summary>
    private static BaseRecord? CheckBase(string home, BaseReference? trainedOn, string recordFile, List<string> problems)
    {
        var hash = trainedOn?.ContentHash;
        if (!ObjectIds.IsValid(hash))
        {
            problems.Add($"{recordFile}: base content_hash '{CadreException.Shown(hash ?? "")}' is not a SHA-256 (64 lower-case hex digits)");
            return null;
        }
        if (hash!.All(c => c == '0'))
        {
            problems.Add($"{recordFile}: base content_hash is all zeros, the hash of no base");
            return null;
        }
        try { BaseCatalog.ValidateName(trainedOn!.Name); }
        catch (CadreException e) { problems.Add($"{recordFile}: {e.Message}"); return null; }
        var bases = new BaseCatalog(home);
        if (!bases.Contains(trainedOn.Name) && !bases.List().Any(b => b.ContentHash == hash))
            return null; // checked when it is imported and the specialist first loads (SpecialistModel refuses other content)
        var here = bases.ForContent(trainedOn.Name, hash!);
        if (here.ContentHash == hash)
            return here;
        problems.Add($"{recordFile}: trained on base '{trainedOn.Name}' with content {hash![..12]}, but base '{trainedOn.Name}' here holds {here.ContentHash[..12]}; import the base it was trained on first");
        return null;
    }

    private static void CheckHead(string file, InferenceTask task, long? width, List<string> problems)
    {
        using var reader = SafetensorsReader.Open(file);
        var regression = task.Kind == Data.TaskKind.Regression;
        var outputs = task.Outputs;
        // Without the base, the head's own classifier gives the width; the labels still fix its outputs.
        var features = width ?? (reader.Contains("classifier.weight") && reader.Info("classifier.weight").Shape is [_, var d] ? d : 0);
        if (features <= 0)
        {
            problems.Add($"{file}: no 'classifier.weight' of shape [outputs, features]; not a head");
            CheckFinite(reader, problems);
            return;
        }
        using var scope = NewDisposeScope();
        using var head = new ClassifierHead(features, Math.Max(outputs, 1), seed: 0, regression);
        var expected = head.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        var why = $"(a {task.Kind.ToString().ToLowerInvariant()} head with {outputs} output{(outputs == 1 ? "" : "s")}" + (width is null ? ")" : $" over the base's {width} features)");
        Compare(file, reader, expected, why, problems);
    }

    private static void CheckAdapter(string folder, InferenceAdapter adapterFiles, string weights, ISentenceEncoder? encoder, List<string> problems)
    {
        using var reader = SafetensorsReader.Open(weights);
        var method = AdapterMethods.Get(adapterFiles.Method);
        var config = AdapterFiles.ReadConfig(folder);
        var configFile = Path.Combine(folder, AdapterFiles.ConfigFile);
        if (method is Adapters.Lora.LoraMethod && config is not null)
            CheckLoraConfig(configFile, config, reader, problems);
        if (encoder is null)
        {
            CheckFinite(reader, problems);
            return;
        }
        AttachedAdapter adapter;
        try { adapter = method.FromConfig(encoder, config, configFile); }
        catch (CadreException e) { problems.Add(e.Message); CheckFinite(reader, problems); return; }
        using (adapter)
        {
            var expected = adapter.StateDict().ToDictionary(p => p.Key, p => p.Value.shape);
            Compare(weights, reader, expected, $"({adapterFiles.Method} on this {encoder.Architecture} base, as {AdapterFiles.ConfigFile} describes it)", problems);
        }
    }

    /// <summary>LoRA's config against its tensors, base or no base: r is every factor's rank, alpha is given, sites are targeted.</summary>
    private static void CheckLoraConfig(string configFile, JsonObject config, SafetensorsReader reader, List<string> problems)
    {
        int? r = config["r"] is JsonValue rv && rv.TryGetValue<double>(out var rd) && rd >= 1 && rd == Math.Floor(rd) ? (int)rd : null;
        if (r is null)
            problems.Add($"{configFile}: 'r' is missing or not a positive integer");
        if (config["lora_alpha"] is not JsonValue av || !av.TryGetValue<double>(out var alpha) || !(alpha > 0))
            problems.Add($"{configFile}: 'lora_alpha' is missing or not a positive number");
        var targets = config["target_modules"];
        foreach (var t in reader.Tensors)
        {
            var name = t.Name;
            var a = name.EndsWith(".lora_A.weight", StringComparison.Ordinal);
            if (!a && !name.EndsWith(".lora_B.weight", StringComparison.Ordinal))
                continue; // not a LoRA factor: Compare (with the base) or the pair check below reports it
            var site = name[..^".lora_A.weight".Length];
            if (site.StartsWith(AttachedAdapter.PeftPrefix, StringComparison.Ordinal))
                site = site[AttachedAdapter.PeftPrefix.Length..];
            var pair = site.Length == 0 ? null : name[..^"A.weight".Length] + (a ? "B.weight" : "A.weight");
            if (pair is not null && !reader.Contains(pair))
                problems.Add($"{reader.Path}: '{CadreException.Shown(name)}' has no partner '{CadreException.Shown(pair)}'");
            var rank = t.Shape.Length != 2 ? -1 : a ? t.Shape[0] : t.Shape[1];
            if (r is not null && rank != r)
                problems.Add($"{reader.Path}: '{CadreException.Shown(name)}' has shape {t.ShapeText}, not rank {r} as {Path.GetFileName(configFile)} says (r)");
            if (!Targeted(site, targets))
                problems.Add($"{reader.Path}: '{CadreException.Shown(name)}' is on a module that target_modules in {Path.GetFileName(configFile)} does not name");
        }
        if (!reader.Tensors.Any(t => t.Name.EndsWith(".lora_A.weight", StringComparison.Ordinal)))
            problems.Add($"{reader.Path}: holds no LoRA factors (no '*.lora_A.weight'); is it the adapter?");
    }

    /// <summary>Whether PEFT's target_modules (names or suffixes, or one full-match regular expression) name the site.</summary>
    private static bool Targeted(string site, JsonNode? targets)
    {
        try
        {
            return targets switch
            {
                JsonValue v when v.TryGetValue<string>(out var pattern) => System.Text.RegularExpressions.Regex.IsMatch(site, "^(?:" + pattern + ")$",
                    System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)),
                JsonArray list => list.Any(n => n is JsonValue s && s.TryGetValue<string>(out var m) && (site == m || site.EndsWith("." + m, StringComparison.Ordinal))),
                _ => false,
            };
        }
        catch (Exception e) when (e is ArgumentException or System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The file's tensors against the expected names and shapes: missing, unexpected, misshapen, non-float, non-finite.</summary>
    private static void Compare(string file, SafetensorsReader reader, Dictionary<string, long[]> expected, string why, List<string> problems)
    {
        foreach (var t in reader.Tensors)
        {
            if (!expected.TryGetValue(t.Name, out var shape))
                problems.Add($"{file}: unexpected tensor '{CadreException.Shown(t.Name)}' {t.ShapeText} {why}");
            else if (!t.Shape.AsSpan().SequenceEqual(shape))
                problems.Add($"{file}: tensor '{CadreException.Shown(t.Name)}' has shape {t.ShapeText}, needs [{string.Join(", ", shape)}] {why}");
            else if (!FiniteValues.IsFloat(t.DType))
                problems.Add($"{file}: tensor '{CadreException.Shown(t.Name)}' is {t.DType}, not a float dtype");
        }
        foreach (var (name, shape) in expected.Where(e => !reader.Contains(e.Key)))
            problems.Add($"{file}: missing tensor '{CadreException.Shown(name)}' [{string.Join(", ", shape)}] {why}");
        CheckFinite(reader, problems);
    }

    private static void CheckFinite(SafetensorsReader reader, List<string> problems)
    {
        foreach (var t in reader.Tensors)
            if (reader.FirstNonFinite(t.Name) is var bad and >= 0)
                problems.Add(SafetensorsCopy.NonFinite(reader.Path, t.Name, bad, t.ElementCount).Message);
    }
}
