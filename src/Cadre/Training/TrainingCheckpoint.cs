using System.Text.Json;
using System.Text.Json.Serialization;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>Where a run stands: enough to continue it exactly (with the tensors saved beside it).</summary>
public sealed record CheckpointState
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentVersion;
    /// <summary>SHA-256 of the specialist's spec and data; a changed spec or file cannot resume.</summary>
    [JsonPropertyName("fingerprint")] public string Fingerprint { get; init; } = "";
    /// <summary>The epoch in progress (1-based) and how many of its batches are done.</summary>
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("batches_done")] public int BatchesDone { get; init; }
    [JsonPropertyName("step")] public int Step { get; init; }
    [JsonPropertyName("loss_sum")] public double LossSum { get; init; }
    [JsonPropertyName("seen")] public int Seen { get; init; }
    [JsonPropertyName("best_metric")] public double BestMetric { get; init; } = double.NegativeInfinity;
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("epochs")] public IReadOnlyList<EpochLog> Epochs { get; init; } = [];
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
}

/// <summary>
/// A resumable training run on disk: <c>state.json</c>, <c>current.safetensors</c> (head and adapter now),
/// <c>best.safetensors</c> (the best epoch so far) and <c>optimizer.bin</c> (AdamW's moments; absent when the run
/// finished and only its storing failed: then no epoch is left and resuming stores it). Written to a
/// temporary folder and swapped in, so an interrupted save never leaves a half checkpoint.
/// </summary>
public sealed class TrainingCheckpoint(string folder)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Folder { get; } = folder;

    public bool Exists => File.Exists(Path.Combine(Folder, "state.json"));

    public void Save(CheckpointState state, IReadOnlyDictionary<string, Tensor> current, IReadOnlyDictionary<string, Tensor>? best,
                     TorchSharp.Modules.OptimizerHelper? optimizer)
    {
        var temp = Folder + ".saving";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        using (var scope = NewDisposeScope())
        {
            SafetensorsWriter.Write(Path.Combine(temp, "current.safetensors"), current.Select(p => KeyValuePair.Create(p.Key, p.Value.detach().contiguous())));
            if (best is not null)
                SafetensorsWriter.Write(Path.Combine(temp, "best.safetensors"), best.Select(p => KeyValuePair.Create(p.Key, p.Value.contiguous())));
        }
        optimizer?.save_state_dict(Path.Combine(temp, "optimizer.bin")); // none for a finished run: no step is left
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, Json));
        var old = Folder + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(Folder)) Directory.Move(Folder, old);
        Directory.Move(temp, Folder);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    public CheckpointState ReadState()
    {
        var path = Path.Combine(Folder, "state.json");
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(path), Json)
            ?? throw new CadreException($"{path}: empty checkpoint state");
        if (state.FormatVersion != CheckpointState.CurrentVersion)
            throw new CadreException($"{path}: checkpoint format {state.FormatVersion}; this version reads {CheckpointState.CurrentVersion}");
        return state;
    }

    /// <summary>Tensors of <c>current</c> or <c>best</c>; null when that file is absent. The caller owns them.</summary>
    public Dictionary<string, Tensor>? ReadTensors(string which)
    {
        var path = Path.Combine(Folder, which + ".safetensors");
        if (!File.Exists(path)) return null;
        using var reader = SafetensorsReader.Open(path);
        return reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadTensor(t.Name), StringComparer.Ordinal);
    }

    public void LoadOptimizer(TorchSharp.Modules.OptimizerHelper optimizer)
    {
        var path = Path.Combine(Folder, "optimizer.bin");
        if (File.Exists(path)) optimizer.load_state_dict(path); // absent in a finished run's checkpoint
    }

    public void Delete()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
