using System.Text.Json.Nodes;
using Cadre.Adapters;
using Cadre.Merge;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Composition;

/// <summary>
/// A specialist's task vectors, read lazily from its files, keyed by what they change. LoRA: <c>{site}.weight</c> →
/// ΔW = scale · B · A (the same key as the base weight it adds to); (IA)³: <c>base_model.model.{site}.ia3_l</c> →
/// l − 1 (the vectors scale activations, so their task vector is the scale's change); full fine-tuning: every float
/// tensor of <c>model.safetensors</c> → W − W_base. A head-only specialist changes nothing: no keys.
/// </summary>
public sealed class TaskVectorSource : ITensorSource, IDisposable
{
    private readonly SafetensorsReader? _reader;
    private readonly Func<SafetensorsReader, string, Tensor>? _read;
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);

    private TaskVectorSource(string name, SafetensorsReader? reader, Func<SafetensorsReader, string, Tensor>? read)
    {
        Name = name;
        _reader = reader;
        _read = read;
    }

    public string Name { get; }
    public IReadOnlyDictionary<string, long[]> Shapes => _shapes;

    /// <summary>(IA)³ sites whose vector scales the input, (1, in): PEFT's <c>feedforward_modules</c>.</summary>
    public IReadOnlySet<string> InputScaled { get; private init; } = new HashSet<string>();

    /// <summary>LoRA: the rank of the adapter.</summary>
    public int Rank { get; private init; }

    public Tensor Read(string key) => _read!(_reader!, key);

    public static TaskVectorSource Open(string name, string method, string folder, IReadOnlyDictionary<string, Tensor>? baseState)
    {
        switch (method)
        {
            case "head":
                return new TaskVectorSource(name, null, null);
            case "lora":
                return Lora(name, folder);
            case "ia3":
                return Ia3(name, folder);
            case "full":
                return Full(name, folder, baseState ?? throw new InvalidOperationException("a full task vector needs the base's tensors"));
            default:
                throw new CadreException($"'{name}' is a {method} specialist, which cannot be merged");
        }
    }

    private static TaskVectorSource Lora(string name, string folder)
    {
        var configFile = Path.Combine(folder, AdapterFiles.ConfigFile);
        var config = AdapterFiles.ReadConfig(folder) ?? throw new CadreException($"{folder}: a LoRA specialist needs {AdapterFiles.ConfigFile}");
        var r = (int)AdapterFiles.JsonNumber(config, "r", configFile);
        var alpha = AdapterFiles.JsonNumber(config, "lora_alpha", configFile, r);
        if (Flag(config, "use_dora"))
            throw new CadreException($"{configFile}: DoRA adapters (use_dora) are not plain weight deltas and cannot be merged");
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
            if (config[pattern] is JsonObject { Count: > 0 })
                throw new CadreException($"{configFile}: per-module ranks or alphas ({pattern}) are not supported");
        // rsLoRA scales by alpha / sqrt(r) instead of alpha / r.
        var scale = Flag(config, "use_rslora") ? alpha / Math.Sqrt(r) : alpha / r;
        var reader = SafetensorsReader.Open(Path.Combine(folder, AdapterFiles.WeightsFile));
        var source = new TaskVectorSource(name, reader, (rd, key) =>
        {
            var site = AttachedAdapter.PeftPrefix + key[..^".weight".Length];
            using var scope = NewDisposeScope();
            var a = rd.ReadTensor(site + ".lora_A.weight").to(ScalarType.Float32);   // (r, in)
            var b = rd.ReadTensor(site + ".lora_B.weight").to(ScalarType.Float32);   // (out, r)
            return (b.matmul(a) * scale).MoveToOuterDisposeScope();                  // (out, r) @ (r, in) -> (out, in)
        }) { Rank = r };
        const string suffix = ".lora_A.weight";
        foreach (var a in reader.Tensors.Where(t => t.Name.EndsWith(suffix, StringComparison.Ordinal)))
        {
            var site = a.Name[..^suffix.Length];
            var bName = site + ".lora_B.weight";
            if (!reader.Contains(bName))
            {
                reader.Dispose();
                throw new CadreException($"{reader.Path}: '{a.Name}' has no '{bName}'");
            }
            var key = (site.StartsWith(AttachedAdapter.PeftPrefix, StringComparison.Ordinal) ? site[AttachedAdapter.PeftPrefix.Length..] : site) + ".weight";
            source._shapes[key] = [reader.Info(bName).Shape[0], a.Shape[1]];
        }
        return source;
    }

    private static TaskVectorSource Ia3(string name, string folder)
    {
        var reader = SafetensorsReader.Open(Path.Combine(folder, AdapterFiles.WeightsFile));
        var inputScaled = new HashSet<string>(StringComparer.Ordinal);
        var source = new TaskVectorSource(name, reader, (rd, key) =>
        {
            using var scope = NewDisposeScope();
            return (rd.ReadTensor(key).to(ScalarType.Float32) - 1).MoveToOuterDisposeScope(); // l − 1, same shape
        }) { InputScaled = inputScaled };
        foreach (var t in reader.Tensors.Where(t => t.Name.EndsWith(".ia3_l", StringComparison.Ordinal)))
        {
            source._shapes[t.Name] = t.Shape;
            if (t.Shape is [1, > 1])
                inputScaled.Add(t.Name);
        }
        return source;
    }

    private static TaskVectorSource Full(string name, string folder, IReadOnlyDictionary<string, Tensor> baseState)
    {
        var reader = SafetensorsReader.Open(Path.Combine(folder, "model.safetensors"));
        var source = new TaskVectorSource(name, reader, (rd, key) =>
        {
            using var scope = NewDisposeScope();
            return (rd.ReadTensor(key).to(ScalarType.Float32) - baseState[key].to(ScalarType.Float32)).MoveToOuterDisposeScope();
        });
        var unknown = reader.Tensors.Where(t => !baseState.ContainsKey(t.Name)).Select(t => t.Name).Take(3).ToList();
        if (unknown.Count > 0)
        {
            reader.Dispose();
            throw new CadreException($"{reader.Path}: tensors the base does not have: {string.Join(", ", unknown)}");
        }
        foreach (var t in reader.Tensors.Where(t => t.DType is DType.F32 or DType.F64 or DType.F16 or DType.BF16))
            source._shapes[t.Name] = t.Shape;
        return source;
    }

    private static bool Flag(JsonObject config, string field) => config[field] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public void Dispose() => _reader?.Dispose();
}

/// <summary>Tensors of one safetensors file by name (a cached Fisher estimate).</summary>
public sealed class FileTensorSource(string name, string path) : ITensorSource, IDisposable
{
    private readonly SafetensorsReader _reader = SafetensorsReader.Open(path);
    private Dictionary<string, long[]>? _shapes;

    public string Name => name;

    public IReadOnlyDictionary<string, long[]> Shapes => _shapes ??= _reader.Tensors.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);

    public Tensor Read(string key) => _reader.ReadTensor(key);

    public void Dispose() => _reader.Dispose();
}
