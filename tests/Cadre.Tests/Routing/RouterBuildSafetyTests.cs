using Cadre.Data;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>router build keeps an existing router unless told, and names specialists a router cannot tell apart.</summary>
[Collection(TorchCollection.Name)]
public sealed class RouterBuildSafetyTests(TrainedTasks trained) : IClassFixture<TrainedTasks>
{
    [Fact]
    public void AnExistingRouterIsReplacedOnlyWithForce()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        Assert.Equal(0, cli.Run("router", "build", "--method", "learned").ExitCode);
        var file = Path.Combine(new RouterCatalog(home.Path).FolderOf("default"), RouterRecord.FileName);
        var before = File.ReadAllBytes(file);

        var again = cli.Run("router", "build");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("error: router 'default' exists; replace it with --force, or build another with --name", again.Error.Trim());
        Assert.Equal(before, File.ReadAllBytes(file)); // untouched
        Assert.Equal(0, cli.Run("router", "build", "--name", "other").ExitCode);

        var forced = cli.Run("router", "build", "--force");
        Assert.True(forced.ExitCode == 0, forced.Error);
        Assert.Equal("prototype", new RouterCatalog(home.Path).Get("default").Method);
    }

    [Fact]
    public void ACopyOfASpecialistIsNamedWithTheWayToLeaveItOut()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        File.WriteAllText(work.File("copy.yaml"), """
            specialists:
              - name: pets-copy
                base: tiny
                data: {train: pets-train.tsv}
                adapter: {method: head}
                training: {epochs: 2, learning_rate: 1e-2, batch_size: 16}
            """);
        var train = cli.Run("train", work.File("copy.yaml"));
        Assert.True(train.ExitCode == 0, train.Error);

        var build = cli.Run("router", "build");
        Assert.True(build.ExitCode == 0, build.Error);
        var warning = Assert.Single(build.Error.Split('\n'), l => l.StartsWith("warning: "));
        Assert.Contains("specialists 'pets' and 'pets-copy' look the same to a router (trained on the same data", warning);
        Assert.Contains("leave one out with --specialists pace,paint,pets", warning);

        var apart = cli.Run("router", "build", "--force", "--specialists", "pace,paint,pets");
        Assert.True(apart.ExitCode == 0, apart.Error);
        Assert.DoesNotContain("warning", apart.Error);
    }

    [Fact]
    public void NearlyIdenticalRoutingSamplesAreFoundWithoutTheSameFile()
    {
        var data = RouterMethodTests.Clusters(40, seed: 1);
        RoutingSample Sample(string name, int owner, float jitter)
        {
            var random = new Random(owner + (int)(jitter * 1000));
            var rows = Enumerable.Range(0, data.Rows).Where(i => data.Owner[i] == owner)
                .SelectMany(i => data.Embeddings.Skip(i * data.Dimension).Take(data.Dimension)).Select(v => v + jitter * (float)(random.NextDouble() - 0.5)).ToArray();
            return new RoutingSample { Specialist = name, Task = TaskKind.Regression, Dimension = data.Dimension, MaxLength = 16, Embeddings = rows, Targets = new float[rows.Length / data.Dimension] };
        }
        SpecialistRecord Record(string name, string sha) => new()
        {
            Name = name, Task = "regression", Method = "head", Labels = [], Base = new BaseReference("tiny", "bert", "0"),
            Metrics = new Dictionary<string, IReadOnlyDictionary<string, double>>(), Training = new Dictionary<string, double>(), Spec = null,
            Data = new Dictionary<string, DataReference> { ["train"] = new("train.tsv", sha, 80) },
        };
        // 'beta-again' is beta's data embedded again with a little noise, from another file: still a copy to a router
        var found = NearCopies.Find([Record("alpha", "a"), Record("beta", "b"), Record("beta-again", "c")],
                                    [Sample("alpha", 0, 0), Sample("beta", 1, 0), Sample("beta-again", 1, 0.01f)]);
        var line = Assert.Single(found);
        Assert.StartsWith("specialists 'beta' and 'beta-again' look the same to a router (100 % of one's routing rows", line);
        Assert.EndsWith("--specialists alpha,beta", line);
    }
}
