using Cadre.Specialists;
using Cadre.Tensors;
using Cadre.Training;
using Cadre.Specs;
using static TorchSharp.torch;

namespace Cadre.Benchmarks;

/// <summary>
/// The specialists of <c>cadre bench serve</c>: one LoRA specialist trained for real on <see cref="SyntheticTask"/>,
/// then N stored specialists of exactly its shape whose LoRA factors are the trained ones plus seeded noise, so every
/// one is a distinct adapter (distinct tensors, distinct store objects) that the server must load and apply; only
/// the serving cost is measured here, not their accuracy. Texts for the load come from the task's test rows.
/// </summary>
public static class ServeBenchSpecialists
{
    public const string Prefix = "serve-";

    /// <returns>The names of the created specialists and the texts to send.</returns>
    public static (IReadOnlyList<string> Names, IReadOnlyList<string> Texts) Create(string home, string baseName, int count, string work,
                                                                                    Action<string> log)
    {
        var data = SyntheticTask.Write(work, 400, 200);
        var spec = Path.Combine(work, "serve-template.yaml");
        File.WriteAllText(spec, $$"""
            specialists:
              - name: {{Prefix}}template
                base: {{baseName}}
                data: {train: {{data.Train}}, test: {{data.Test}}}
                adapter: {method: lora, r: 8}
                training: {epochs: 2, batch_size: 32, seed: 7, early_stopping: 0}
            """);
        var outcome = new SpecialistTrainer(home).Train(SpecFile.Load(spec).Specialists[0], new TrainOptions());
        log($"template LoRA specialist: test accuracy {outcome.Record.Metrics["test"]["accuracy"]:F3}");
        var catalog = new SpecialistCatalog(home);
        var folder = catalog.Store.FolderOf(outcome.Version);
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = $"{Prefix}{i:0000}";
            catalog.Save(outcome.Record.Renamed(name), staging => WritePerturbed(folder, staging, seed: i + 1), "bench serve: a perturbed copy of the template");
            names.Add(name);
            if ((i + 1) % 100 == 0) log($"  {i + 1} specialists stored");
        }
        var texts = File.ReadLines(data.Test).Skip(1).Select(l => l.Split('\t')[0]).ToList();
        return (names, texts);
    }

    /// <summary>Copies the template's files, adding N(0, (0.1 · std)²) noise to every LoRA factor.</summary>
    private static void WritePerturbed(string from, string to, int seed)
    {
        foreach (var file in Directory.GetFiles(from))
            if (Path.GetFileName(file) != "adapter_model.safetensors" && Path.GetFileName(file) != SpecialistRecord.FileName)
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        using var scope = NewDisposeScope();
        using var reader = SafetensorsReader.Open(Path.Combine(from, "adapter_model.safetensors"));
        using var generator = new Generator((ulong)seed);
        var tensors = reader.Tensors.Select(t =>
        {
            var x = reader.ReadTensor(t.Name);
            var spread = Math.Max(x.std().item<float>(), 1e-3f) * 0.1;
            return KeyValuePair.Create(t.Name, x + normal(0, spread, x.shape, generator: generator));
        }).ToList();
        SafetensorsWriter.Write(Path.Combine(to, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
