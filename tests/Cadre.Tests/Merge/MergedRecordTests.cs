using System.Text.Json;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;
using Cadre.Specs;

namespace Cadre.Tests.Merge;

/// <summary>
/// cadre.json versions: version 1 (one task) reads as before; version 2 carries tasks; version 3 adds the inference
/// contract (Specialists/InferenceContractTests); mismatches are refused.
/// </summary>
public sealed class MergedRecordTests
{
    private static SpecialistRecord One() => new()
    {
        FormatVersion = SpecialistRecord.SingleTaskVersion, Name = "solo", Task = "classification", Method = "lora", Labels = ["a", "b"], Base = new BaseReference("tiny", "bert", new string('0', 64)),
        Metrics = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["test"] = new Dictionary<string, double> { ["accuracy"] = 0.9 } },
        Data = new Dictionary<string, DataReference>(), Training = new Dictionary<string, double>(), Spec = new SpecialistSpec { Name = "solo" },
    };

    private static string Write(TempDir dir, string json)
    {
        var file = dir.File("cadre.json");
        File.WriteAllText(file, json);
        return file;
    }

    [Fact]
    public void AVersionOneRecordIsOneTaskWithTheClassicHeadFile()
    {
        using var dir = new TempDir();
        var json = JsonSerializer.Serialize(One(), SpecialistCatalog.Json);
        Assert.DoesNotContain("\"tasks\"", json);                 // nothing new is written for a trained specialist
        Assert.DoesNotContain("\"merge\"", json);
        var read = SpecialistCatalog.Read(Write(dir, json));
        var task = Assert.Single(read.TaskList);
        Assert.Equal(("solo", "head.safetensors", 0.9), (task.Name, task.Head, task.Metrics["test"]["accuracy"]));
        Assert.Same(task.Name, read.TaskNamed(null).Name);
    }

    [Fact]
    public void VersionsAndTasksMustAgree()
    {
        using var dir = new TempDir();
        var one = One();
        var tasks = one with { FormatVersion = 1, Tasks = one.TaskList };
        Assert.Contains("format_version 1 records have one task at the top level",
            Assert.Throws<CadreException>(() => SpecialistCatalog.Read(Write(dir, JsonSerializer.Serialize(tasks, SpecialistCatalog.Json)))).Message);
        var two = one with { FormatVersion = 2 };
        Assert.Contains("format_version 2 records list their tasks in 'tasks'",
            Assert.Throws<CadreException>(() => SpecialistCatalog.Read(Write(dir, JsonSerializer.Serialize(two, SpecialistCatalog.Json)))).Message);
        var three = one with { FormatVersion = 3 };
        Assert.Contains("format_version 3 records carry their inference contract in 'inference'",
            Assert.Throws<CadreException>(() => SpecialistCatalog.Read(Write(dir, JsonSerializer.Serialize(three, SpecialistCatalog.Json)))).Message);
        var four = one with { FormatVersion = 4 };
        Assert.Contains("format_version 4 is not supported (this Cadre reads 1, 2 and 3)",
            Assert.Throws<CadreException>(() => SpecialistCatalog.Read(Write(dir, JsonSerializer.Serialize(four, SpecialistCatalog.Json)))).Message);
        var merged = one with { FormatVersion = 2, Task = SpecialistRecord.MultiTask, Spec = null, Tasks = one.TaskList };
        var read = SpecialistCatalog.Read(Write(dir, JsonSerializer.Serialize(merged, SpecialistCatalog.Json)));
        Assert.Equal("solo", Assert.Single(read.TaskList).Name);
        Assert.Contains("has no task 'other'", Assert.Throws<CadreException>(() => read.TaskNamed("other")).Message);
    }
}
