using System.Text.Json.Nodes;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Cli;

/// <summary>
/// <c>cadre base import</c> against hostile folders made here: links to devices, FIFOs, files longer than their
/// headers, non-finite weights, more than the disk holds. Each is refused with one line naming the user's file, and
/// nothing is stored or left in CADRE_HOME/tmp.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BaseImportValidationTests
{
    private static (CliRunner Cli, string Folder, TempDir Dir) Setup()
    {
        var dir = new TempDir();
        var folder = HostileFiles.CopyFolder(TinyTask.TinyBert, dir.File("model"));
        return (new CliRunner(dir.File("home")), folder, dir);
    }

    private static string Refused(CliRunner cli, string folder)
    {
        var result = cli.Run("base", "import", folder, "--name", "m");
        Assert.True(result.ExitCode == 1, result.Out + result.Error);
        Assert.StartsWith("error: ", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.DoesNotContain("/tmp/import-", result.Error); // the user's path, never the staging copy
        Assert.False(Directory.Exists(Path.Combine(cli.Home, "bases", "m")));
        var tmp = Path.Combine(cli.Home, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(e => Path.GetFileName(e).StartsWith("import-", StringComparison.Ordinal)));
        return result.Error;
    }

    [Theory]
    [InlineData("/dev/zero", "character device")]
    [InlineData("/dev/urandom", "character device")]
    public void AWeightsFileLinkedToADeviceIsRefusedBeforeItIsRead(string device, string expected)
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        var weights = Path.Combine(folder, "model.safetensors");
        HostileFiles.LinkTo(weights, device);
        var error = Refused(cli, folder);
        Assert.Contains(weights, error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void AFifoIsRefusedWithoutBlocking()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        var weights = Path.Combine(folder, "model.safetensors");
        HostileFiles.MakeFifo(weights);
        var error = Refused(cli, folder);
        Assert.Contains(weights, error);
        Assert.Contains("FIFO", error);
    }

    [Fact]
    public void AConfigLinkedToADeviceIsRefused()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        HostileFiles.LinkTo(Path.Combine(folder, "config.json"), "/dev/zero");
        Assert.Contains("config.json: links to a character device", Refused(cli, folder));
    }

    [Fact]
    public void ALinkToARegularFileIsFollowed()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        var weights = Path.Combine(folder, "model.safetensors");
        var elsewhere = dir.File("blob");
        File.Move(weights, elsewhere);
        File.CreateSymbolicLink(weights, elsewhere);
        var result = cli.Run("base", "import", folder, "--name", "m");
        Assert.True(result.ExitCode == 0, result.Error);
        var stored = Path.Combine(cli.Home, "bases", "m", "model.safetensors");
        Assert.Null(new FileInfo(stored).LinkTarget); // the store holds a real file
        Assert.Equal(File.ReadAllBytes(elsewhere), File.ReadAllBytes(stored));
    }

    [Fact]
    public void AFileLongerThanItsHeaderDeclaresIsRefusedNamingTheUsersFile()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        var weights = Path.Combine(folder, "model.safetensors");
        using (var file = new FileStream(weights, FileMode.Append))
            file.Write(new byte[4096]);
        var error = Refused(cli, folder);
        Assert.Contains(weights + ": 4096 bytes after the last tensor are not described by the header", error);
    }

    [Fact]
    public void NonFiniteWeightsAreRefusedNamingTheTensor()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        var weights = Path.Combine(folder, "model.safetensors");
        string tensor;
        using (var reader = Cadre.Tensors.SafetensorsReader.Open(weights))
            tensor = reader.Tensors.Last(t => t.DType == Cadre.Tensors.DType.F32 && t.ElementCount > 10).Name;
        HostileFiles.Poison(weights, tensor, float.NaN, index: 7);
        var error = Refused(cli, folder);
        Assert.Contains($"{weights}: tensor '{tensor}' holds a NaN or infinite value (element 7 of", error);
    }

    [Fact]
    public void ABaseLargerThanTheFreeSpaceIsRefusedBeforeCopying()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        Directory.CreateDirectory(cli.Home);
        var free = new DriveInfo(cli.Home).AvailableFreeSpace;
        var weights = Path.Combine(folder, "model.safetensors");
        HostileFiles.WriteSparse(weights, free + (1L << 30)); // sparse: takes no space here
        var error = Refused(cli, folder);
        Assert.Contains("importing needs", error);
        Assert.Contains("free", error);
        Assert.Contains(folder, error);
    }

    [Fact]
    public void ALoadErrorNamesTheUsersFolderNotTheStagingCopy()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        var config = Path.Combine(folder, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json["num_hidden_layers"] = json["num_hidden_layers"]!.GetValue<int>() + 1; // the weights lack a layer
        File.WriteAllText(config, json.ToJsonString());
        var result = cli.Run("base", "import", folder, "--name", "m");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(folder, result.Error);
        Assert.DoesNotContain("/tmp/import-", result.Error);
    }

    [Fact]
    public void AHugeTensorNameIsEchoedCut()
    {
        var (cli, folder, dir) = Setup();
        using var _ = dir;
        var weights = Path.Combine(folder, "model.safetensors");
        var name = new string('x', 100_000);
        HostileFiles.Rewrite(weights, t => t, extra: new Cadre.Tensors.RawTensor(name, Cadre.Tensors.DType.F32, [1], new byte[4]));
        var result = cli.Run("base", "import", folder, "--name", "m");
        Assert.Equal(1, result.ExitCode);
        Assert.True(result.Error.Length < 1000, $"{result.Error.Length} characters");
        Assert.Contains("(100,000 characters)", result.Error, StringComparison.Ordinal);
    }
}
