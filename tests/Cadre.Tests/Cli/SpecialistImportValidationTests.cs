using System.Text.Json.Nodes;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>One LoRA specialist on the tiny BERT base, trained and exported once for the import tests below.</summary>
public sealed class ExportedLora : IDisposable
{
    private readonly TempDir _home = new();
    private readonly TempDir _work = new();

    public ExportedLora()
    {
        Cli = new CliRunner(_home.Path);
        var spec = TinyTask.Prepare(Cli, _work.Path, "method: lora", epochs: 1);
        var train = Cli.Run("train", spec);
        Assert.True(train.ExitCode == 0, train.Error);
        Folder = Path.Combine(_work.Path, "export");
        Assert.Equal(0, Cli.Run("specialist", "export", "tiny-task", "-o", Folder).ExitCode);
    }

    /// <summary>The home that trained it (base 'tiny' imported).</summary>
    public CliRunner Cli { get; }

    /// <summary>The exported folder; tests spoil copies of it, never it.</summary>
    public string Folder { get; }

    public void Dispose()
    {
        _home.Dispose();
        _work.Dispose();
    }
}

/// <summary>
/// <c>cadre specialist import</c> refuses, before storing anything, a specialist that could never predict (tensors
/// renamed, the head in place of the adapter, a config whose rank the tensors do not have, a made-up base hash),
/// non-finite weights, and files that are not regular; every error is one line naming the user's file.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SpecialistImportValidationTests(ExportedLora exported) : IClassFixture<ExportedLora>
{
    private const string Adapter = "adapter_model.safetensors";

    private static string Refused(CliRunner cli, string folder, string name = "copy")
    {
        var result = cli.Run("specialist", "import", folder, "--name", name);
        Assert.True(result.ExitCode == 1, result.Out + result.Error);
        Assert.StartsWith("error: ", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.DoesNotContain(name, cli.Run("specialist", "list").Out.Split('\n').Select(l => l.Split(' ')[0]));
        Assert.False(Directory.Exists(Path.Combine(cli.Home, "store", "refs", "specialists", name)));
        return result.Error;
    }

    private string Spoilable(TempDir dir) => HostileFiles.CopyFolder(exported.Folder, dir.File("export"));

    [Fact]
    public void TheUnspoiledExportImportsAndPredicts()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        var result = exported.Cli.Run("specialist", "import", folder, "--name", "unspoiled");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(0, exported.Cli.Run("predict", "unspoiled", "the big dog").ExitCode);
    }

    [Fact]
    public void RenamedTensorsAreRefused()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        HostileFiles.Rewrite(Path.Combine(folder, Adapter), t => t with { Name = t.Name.Replace("query", "kwery", StringComparison.Ordinal) });
        var error = Refused(exported.Cli, folder);
        Assert.Contains(Path.Combine(folder, Adapter), error);
        Assert.Contains("more problems", error);
    }

    [Fact]
    public void TheHeadInPlaceOfTheAdapterIsRefused()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        File.Copy(Path.Combine(folder, "head.safetensors"), Path.Combine(folder, Adapter), overwrite: true);
        Assert.Contains(Adapter, Refused(exported.Cli, folder));
    }

    [Fact]
    public void AConfigRankTheTensorsDoNotHaveIsRefused()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        var config = Path.Combine(folder, "adapter_config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json["r"] = 16; // the tensors are rank 8
        File.WriteAllText(config, json.ToJsonString());
        Assert.Contains("not rank 16", Refused(exported.Cli, folder));
    }

    [Fact]
    public void AMissingAlphaIsRefused()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        var config = Path.Combine(folder, "adapter_config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json.Remove("lora_alpha");
        File.WriteAllText(config, json.ToJsonString());
        Assert.Contains("'lora_alpha' is missing", Refused(exported.Cli, folder));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "all zeros")]
    [InlineData("not-a-hash", "is not a SHA-256")]
    [InlineData("1111111111111111111111111111111111111111111111111111111111111111", "here holds")]
    public void AMadeUpBaseHashIsRefused(string hash, string expected)
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        var record = Path.Combine(folder, "cadre.json");
        var json = JsonNode.Parse(File.ReadAllText(record))!.AsObject();
        json["base"]!["content_hash"] = hash;
        File.WriteAllText(record, json.ToJsonString());
        // The inference contract names the base too: a record where the two disagree is refused as such.
        Assert.Contains("inference.base is not the record's base", Refused(exported.Cli, folder));
        json["inference"]!["base"]!["content_hash"] = hash;
        File.WriteAllText(record, json.ToJsonString());
        Assert.Contains(expected, Refused(exported.Cli, folder));
        // A record written before contracts (version 1) meets the same check.
        json["format_version"] = 1;
        json.Remove("inference");
        File.WriteAllText(record, json.ToJsonString());
        Assert.Contains(expected, Refused(exported.Cli, folder));
    }

    [Fact]
    public void RenamedTensorsAreRefusedEvenWithoutTheBase()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        HostileFiles.Rewrite(Path.Combine(folder, Adapter), t => t with { Name = t.Name.Replace("lora_A", "lora_X", StringComparison.Ordinal) });
        var error = Refused(new CliRunner(dir.File("bare-home")), folder);
        Assert.Contains("has no partner", error);
    }

    [Theory]
    [InlineData(Adapter, float.NaN)]
    [InlineData("head.safetensors", float.PositiveInfinity)]
    public void NonFiniteWeightsAreRefusedNamingTheTensor(string file, float value)
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        var path = Path.Combine(folder, file);
        string tensor;
        using (var reader = Cadre.Tensors.SafetensorsReader.Open(path))
            tensor = reader.Tensors.Last().Name;
        HostileFiles.Poison(path, tensor, value, index: 1);
        Assert.Contains($"{path}: tensor '{tensor}' holds a NaN or infinite value (element 1 of", Refused(exported.Cli, folder));
    }

    [Fact]
    public void FilesThatAreNotRegularAreRefused()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        HostileFiles.LinkTo(Path.Combine(folder, Adapter), "/dev/zero");
        Assert.Contains($"{Path.Combine(folder, Adapter)}: links to a character device", Refused(exported.Cli, folder));
        File.Delete(Path.Combine(folder, Adapter));
        File.Copy(Path.Combine(exported.Folder, Adapter), Path.Combine(folder, Adapter));
        HostileFiles.MakeFifo(Path.Combine(folder, "head.safetensors"));
        Assert.Contains("FIFO", Refused(exported.Cli, folder));
    }

    [Fact]
    public void ABadSpecialistNameIsCalledASpecialistName()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        var result = exported.Cli.Run("specialist", "import", folder, "--name", "Bad/Name");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("invalid specialist name 'Bad/Name'", result.Error);
    }

    [Fact]
    public void AHugeTensorNameIsEchoedCut()
    {
        using var dir = new TempDir();
        var folder = Spoilable(dir);
        HostileFiles.Rewrite(Path.Combine(folder, Adapter), t => t with { Name = new string('x', 100_000) + t.Name });
        var error = Refused(exported.Cli, folder);
        Assert.True(error.Length < 1000, $"{error.Length} characters");
        Assert.Contains("characters)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ABundleCarryingAnotherBaseUnderATakenNameIsRefusedThenAppliedUnderANewName()
    {
        using var dir = new TempDir();
        var bundle = dir.File("lora.bundle");
        var create = exported.Cli.Run("bundle", "create", "tiny-task", "--include-base", "-o", bundle);
        Assert.True(create.ExitCode == 0, create.Error);
        // The receiver's own 'tiny' holds other weights (one value changed).
        var other = HostileFiles.CopyFolder(TinyTask.TinyBert, dir.File("other-tiny"));
        string tensor;
        using (var reader = Cadre.Tensors.SafetensorsReader.Open(Path.Combine(other, "model.safetensors")))
            tensor = reader.Tensors.Last(t => t.DType == Cadre.Tensors.DType.F32).Name;
        HostileFiles.Poison(Path.Combine(other, "model.safetensors"), tensor, 0.125f);
        var receiver = new CliRunner(dir.File("receiver"));
        Assert.Equal(0, receiver.Run("base", "import", other, "--name", "tiny").ExitCode);
        string Hash(CliRunner cli, string name) => System.Text.Json.JsonDocument.Parse(cli.Run("base", "show", name, "--json").Out).RootElement.GetProperty("content_hash").GetString()!;
        var (theirs, ours) = (Hash(exported.Cli, "tiny"), Hash(receiver, "tiny"));
        Assert.NotEqual(theirs, ours);
        var storeBefore = Directory.GetFiles(Path.Combine(receiver.Home, "store"), "*", SearchOption.AllDirectories).Order().ToList();

        var refused = receiver.Run("bundle", "apply", bundle);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(theirs[..12], refused.Error);
        Assert.Contains(ours[..12], refused.Error);
        Assert.Contains($"cadre bundle apply {bundle} --base-name NEW", refused.Error);
        Assert.Equal(storeBefore, Directory.GetFiles(Path.Combine(receiver.Home, "store"), "*", SearchOption.AllDirectories).Order().ToList());
        Assert.Equal(ours, Hash(receiver, "tiny"));

        var applied = receiver.Run("bundle", "apply", bundle, "--base-name", "tiny-theirs");
        Assert.True(applied.ExitCode == 0, applied.Error);
        Assert.Contains("base 'tiny-theirs' added", applied.Out);
        Assert.Equal(theirs, Hash(receiver, "tiny-theirs"));
        Assert.Equal(ours, Hash(receiver, "tiny"));
        // The specialist finds its base by content: it predicts as it does at home.
        string[] texts = ["the big dog sat", "a red mat"];
        var home = exported.Cli.Run(["predict", "tiny-task", "--json", .. texts]);
        var here = receiver.Run(["predict", "tiny-task", "--json", .. texts]);
        Assert.True(here.ExitCode == 0, here.Error);
        Assert.Equal(home.Out, here.Out);
    }
}
