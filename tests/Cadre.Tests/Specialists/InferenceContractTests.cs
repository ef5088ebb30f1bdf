using System.Text.Json;
using System.Text.Json.Nodes;
using Cadre.Adapters;
using Cadre.Data;
using Cadre.Models.Bert;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;
namespace Cadre.Tests.Specialists;

/// <summary>
/// <c>cadre.json</c>'s inference contract: golden records of every version read (versions 1 and 2 derive their
/// contract from the record and its spec; version 3 was written by hand from docs/formats.md), and a contract that
/// disagrees with its record is refused, read or written.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class InferenceContractTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "specialists", name);

    private const string Hash = "4f0c9e1d2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";

    private static string Json(object value) => JsonSerializer.Serialize(value, SpecialistCatalog.Json);

    [Fact]
    public void AVersionOneRecordDerivesItsContractFromItsFieldsAndSpec()
    {
        var record = SpecialistCatalog.Read(Fixture("cadre-v1.json"));
        Assert.Equal(SpecialistRecord.SingleTaskVersion, record.FormatVersion);
        Assert.Null(record.Inference);
        var c = record.Contract;
        Assert.Equal(new BaseReference("tiny", "bert", Hash), c.Base);
        Assert.Equal(new InferenceAdapter { Method = "lora", Config = "adapter_config.json", Weights = "adapter_model.safetensors" }, c.Adapter);
        var task = Assert.Single(c.Tasks);
        Assert.Equal(("spam", TaskKind.Classification, "head.safetensors", 2, 64), (task.Name, task.Kind, task.Head, task.Outputs, task.MaxLength));
        Assert.Equal(["ham", "spam"], task.Labels);
        Assert.Equal(64, c.MaxLength);
    }

    [Fact]
    public void AVersionTwoRecordDerivesEveryTaskWithItsOwnLength()
    {
        var record = SpecialistCatalog.Read(Fixture("cadre-v2.json"));
        Assert.Equal(SpecialistRecord.MultiTaskVersion, record.FormatVersion);
        Assert.Null(record.Inference);
        var c = record.Contract;
        Assert.Equal(["spam", "mood"], c.Tasks.Select(t => t.Name));
        Assert.Equal([TaskKind.Classification, TaskKind.Regression], c.Tasks.Select(t => t.Kind));
        Assert.Equal(["head-spam.safetensors", "head-mood.safetensors"], c.Tasks.Select(t => t.Head));
        Assert.Equal([2, 1], c.Tasks.Select(t => t.Outputs));   // a regression head has one output, whatever its labels
        Assert.Equal([64, 32], c.Tasks.Select(t => t.MaxLength));
        Assert.Equal(64, c.MaxLength);
        Assert.Equal("lora", c.Adapter.Method);
    }

    [Theory]
    [InlineData("cadre-v1.json", "cadre-v3.json")]
    [InlineData("cadre-v2.json", "cadre-v3-merged.json")]
    public void TheHandWrittenVersionThreeRecordsCarryWhatTheOldOnesImply(string old, string current)
    {
        var written = SpecialistCatalog.Read(Fixture(current));
        Assert.Equal(SpecialistRecord.ContractVersion, written.FormatVersion);
        Assert.NotNull(written.Inference);
        Assert.Same(written.Inference, written.Contract);
        // The same specialist before contracts: its derived contract is the one written by hand from the docs.
        var derived = SpecialistCatalog.Read(Fixture(old)).Contract;
        Assert.Equal(Json(derived), Json(written.Contract));
        // What Cadre writes reads back to the same record.
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cadre.json"), Json(written));
        Assert.Equal(Json(written), Json(SpecialistCatalog.Read(dir.File("cadre.json"))));
    }

    [Fact]
    public void TheVersionThreeFixtureSaysWhatTheDocsSay()
    {
        var json = JsonNode.Parse(File.ReadAllText(Fixture("cadre-v3-merged.json")))!["inference"]!;
        Assert.Equal(1, (int)json["version"]!);
        Assert.Equal("{\"method\":\"lora\",\"config\":\"adapter_config.json\",\"weights\":\"adapter_model.safetensors\"}", json["adapter"]!.ToJsonString());
        var mood = json["tasks"]![1]!;
        Assert.Equal(("mood", "regression", 1, 32), ((string)mood["name"]!, (string)mood["kind"]!, (int)mood["outputs"]!, (int)mood["max_length"]!));
    }

    [Fact]
    public void AnOldRecordUpgradesToTheCurrentVersionWithItsDerivedContract()
    {
        foreach (var file in new[] { "cadre-v1.json", "cadre-v2.json" })
        {
            var old = SpecialistCatalog.Read(Fixture(file));
            var upgraded = old.Upgraded();
            Assert.Equal(SpecialistRecord.CurrentVersion, upgraded.FormatVersion);
            Assert.Equal(Json(old.Contract), Json(upgraded.Inference!));
            SpecialistCatalog.Check(upgraded, file); // what an import stores reads back
            Assert.Same(upgraded, upgraded.Upgraded());
        }
    }

    [Fact]
    public void RenamingASingleTaskRecordRenamesItsTaskButAMergedOneKeepsItsTasks()
    {
        var one = SpecialistCatalog.Read(Fixture("cadre-v3.json")).Renamed("junk");
        Assert.Equal(("junk", "junk", "junk"), (one.Name, one.TaskList[0].Name, one.Contract.Tasks[0].Name));
        SpecialistCatalog.Check(one, "renamed");
        var merged = SpecialistCatalog.Read(Fixture("cadre-v3-merged.json")).Renamed("both");
        Assert.Equal(["spam", "mood"], merged.Contract.Tasks.Select(t => t.Name));
        SpecialistCatalog.Check(merged, "renamed");
        // A plain 'with' leaves the contract's task behind, and nothing stores or reads such a record.
        var stale = SpecialistCatalog.Read(Fixture("cadre-v3.json")) with { Name = "junk" };
        Assert.Contains("inference.tasks (spam) are not the record's tasks (junk)", Assert.Throws<CadreException>(() => SpecialistCatalog.Check(stale, "x")).Message);
    }

    public static TheoryData<string, string, string> Disagreements => new()
    {
        { "version", """{"version": 2}""", "inference.version 2 is not supported (this Cadre reads 1)" },
        { "base", """{"base": {"name": "tiny", "architecture": "bert", "content_hash": "00"}}""", "inference.base is not the record's base" },
        { "adapter", """{"adapter": {"method": "ia3", "config": "adapter_config.json", "weights": "adapter_model.safetensors"}}""", "inference.adapter.method 'ia3' is not the record's method 'lora'" },
        { "adapter", """{"adapter": {"method": "lora", "config": null, "weights": "model.safetensors"}}""", "a lora adapter loads from config adapter_config.json and weights adapter_model.safetensors" },
        { "tasks", """{"tasks": [{"name": "spam", "kind": "multilabel", "labels": ["ham", "spam"], "head": "head.safetensors", "outputs": 2, "max_length": 64}]}""", "inference.tasks[0] ('spam'): kind multilabel is not the record's task 'classification'" },
        { "tasks", """{"tasks": [{"name": "spam", "kind": "classification", "labels": ["spam", "ham"], "head": "head.safetensors", "outputs": 2, "max_length": 64}]}""", "labels are not the record's labels (in head order)" },
        { "tasks", """{"tasks": [{"name": "spam", "kind": "classification", "labels": ["ham", "spam"], "head": "head-spam.safetensors", "outputs": 2, "max_length": 64}]}""", "head 'head-spam.safetensors' is not the record's head 'head.safetensors'" },
        { "tasks", """{"tasks": [{"name": "spam", "kind": "classification", "labels": ["ham", "spam"], "head": "head.safetensors", "outputs": 1, "max_length": 64}]}""", "outputs 1, but a classification head over 2 labels has 2" },
        { "tasks", """{"tasks": [{"name": "spam", "kind": "classification", "labels": ["ham", "spam"], "head": "head.safetensors", "outputs": 2, "max_length": 0}]}""", "max_length 0 is not a positive number of tokens" },
        { "tasks", """{"tasks": []}""", "inference.tasks () are not the record's tasks (spam)" },
        { "tasks", """{"tasks": null}""", "inference: 'tasks' is missing" },
    };

    [Theory]
    [MemberData(nameof(Disagreements))]
    public void AContractThatDisagreesWithItsRecordIsRefused(string field, string replacement, string message)
    {
        using var dir = new TempDir();
        var json = JsonNode.Parse(File.ReadAllText(Fixture("cadre-v3.json")))!.AsObject();
        json["inference"]![field] = JsonNode.Parse(replacement)![field]?.DeepClone();
        File.WriteAllText(dir.File("cadre.json"), json.ToJsonString());
        var error = Assert.Throws<CadreException>(() => SpecialistCatalog.Read(dir.File("cadre.json")));
        Assert.Contains(message, error.Message);
        Assert.StartsWith(dir.File("cadre.json"), error.Message); // names the file
    }

    [Fact]
    public void VersionsAndTheContractMustAgree()
    {
        using var dir = new TempDir();
        var v1 = JsonNode.Parse(File.ReadAllText(Fixture("cadre-v1.json")))!.AsObject();
        v1["inference"] = JsonNode.Parse(File.ReadAllText(Fixture("cadre-v3.json")))!["inference"]!.DeepClone();
        File.WriteAllText(dir.File("cadre.json"), v1.ToJsonString());
        Assert.Contains("format_version 1 records have no 'inference' (it came with format_version 3)",
            Assert.Throws<CadreException>(() => SpecialistCatalog.Read(dir.File("cadre.json"))).Message);
        var v3 = JsonNode.Parse(File.ReadAllText(Fixture("cadre-v3.json")))!.AsObject();
        v3.Remove("inference");
        File.WriteAllText(dir.File("cadre.json"), v3.ToJsonString());
        Assert.Contains("format_version 3 records carry their inference contract in 'inference'",
            Assert.Throws<CadreException>(() => SpecialistCatalog.Read(dir.File("cadre.json"))).Message);
    }

    [Fact]
    public void NothingIsStoredThatWouldNotReadBack()
    {
        using var home = new TempDir();
        var record = SpecialistCatalog.Read(Fixture("cadre-v3.json"));
        var wrong = record with { Inference = record.Inference! with { Adapter = InferenceAdapter.For("ia3") } };
        var stored = false;
        var error = Assert.Throws<CadreException>(() => new SpecialistCatalog(home.Path).Save(wrong, _ => stored = true, "test"));
        Assert.Contains("inference.adapter.method 'ia3' is not the record's method 'lora'", error.Message);
        Assert.False(stored);
        Assert.False(new SpecialistCatalog(home.Path).Contains("spam"));
    }

    [Fact]
    public void AnOldRecordThatCannotImplyAContractSaysWhy()
    {
        var record = SpecialistCatalog.Read(Fixture("cadre-v2.json"));
        var broken = record with { Tasks = [record.Tasks![0], record.Tasks[1] with { Task = "ranking" }] };
        Assert.Contains("specialist 'spam-mood', task 'mood': 'ranking' is not a task kind", Assert.Throws<CadreException>(() => broken.Contract).Message);
        var unknown = record with { Method = "dora" };
        Assert.Contains("unknown adapter method 'dora'", Assert.Throws<CadreException>(() => unknown.Contract).Message);
    }

    /// <summary>The files a contract names are where each method's adapter saves itself (and where loading looks).</summary>
    [Theory]
    [InlineData("lora")]
    [InlineData("ia3")]
    [InlineData("prompt")]
    [InlineData("full")]
    public void EveryMethodSavesItsAdapterInTheFilesItsContractNames(string method)
    {
        using var folder = new TempDir();
        using (var model = BertModel.Load(TinyTask.TinyBert))
        using (var adapter = AdapterMethods.Get(method).Create(model, new AdapterSpec { Method = method, PromptTokens = 2 }, 1, "tiny"))
            AdapterFiles.Save(adapter, folder.Path);
        var contract = InferenceAdapter.For(method);
        var expected = new[] { contract.Config, contract.Weights }.OfType<string>().Order(StringComparer.Ordinal);
        Assert.Equal(expected, Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(method != "full", contract.Config is not null);
        Assert.Equal(method == "full", contract.OwnsBase);
        Assert.Equal(new InferenceAdapter { Method = "head" }, InferenceAdapter.For("head"));
    }
}
