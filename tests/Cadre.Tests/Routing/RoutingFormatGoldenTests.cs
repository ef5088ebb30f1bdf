using Cadre.Data;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Routing;

/// <summary>
/// The routing formats of docs/formats.md against fixtures written from that page alone
/// (tools/reference/routing/make_golden.py): a version-1 routing sample and a version-1 prototype router.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class RoutingFormatGoldenTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", "routing", .. parts]);

    [Fact]
    public void RoutingSampleVersion1ReadsAndIsWrittenByteForByte()
    {
        var sample = RoutingSample.Read(Fixture("routing-v1.safetensors"), "x", labelCount: 2);
        Assert.Equal((3, 4, 16, TaskKind.Classification), (sample.Rows, sample.Dimension, sample.MaxLength, sample.Task));
        Assert.Equal([0, 1, 1], sample.Classes!);
        float[] expected = [0.5f, -0.25f, 0.125f, 1f, 0f, 1.5f, -2f, 0.75f, 0.1f, 0.2f, 0.3f, 0.4f];
        Assert.Equal(expected.Select(v => (float)(Half)v), sample.Embeddings);

        using var folder = new TempDir();
        (sample with { Embeddings = expected }).Write(folder.Path);
        Assert.Equal(File.ReadAllBytes(Fixture("routing-v1.safetensors")), File.ReadAllBytes(folder.File(RoutingSample.FileName)));

        var tooFewLabels = Assert.Throws<CadreException>(() => RoutingSample.Read(Fixture("routing-v1.safetensors"), "x", labelCount: 1));
        Assert.Contains("outside the specialist's 1 labels", tooFewLabels.Message);
    }

    [Fact]
    public void PrototypeRouterVersion1LoadsAndRoutes()
    {
        using var home = new TempDir();
        Assert.Equal(0, new CliRunner(home.Path).Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        var target = Path.Combine(home.Path, "routers", "golden");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Fixture("router-v1")))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));

        using var router = SpecialistRouter.Load(home.Path, "golden");
        Assert.Equal(["left", "right"], router.Specialists);
        using var scope = NewDisposeScope();
        var x = zeros(3, 32);
        x[0, 1] = tensor(2f); // along left's second prototype
        x[1, 2] = tensor(1f); // along right's prototype
        x[2, 7] = tensor(1f); // orthogonal to every prototype: similarity 0 < 0.5
        var d = router.Decide(["a", "b", "c"], x);
        Assert.Equal(["left", "right", null], d.Select(r => r.Specialist));
        Assert.Equal(1 / (1 + Math.Exp(-1 / 0.05)), d[0].Scores["left"], 9);
        Assert.Equal(1.0, d[0].Signal, 6);
        Assert.True(d[2].Abstained);
        Assert.Equal(0.5, d[2].Threshold);
        Assert.Equal(2, router.Stale().Count); // no such specialists here
    }
}
