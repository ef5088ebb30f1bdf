using System.Text.Json;
using Cadre.Routing;
using Cadre.Specialists;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>
/// Where routers come from and what happens around them: old specialists without a routing sample, deleted training
/// files, retrained specialists, exports, and the clear errors of route, ask and router build.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class RouterLifecycleTests(TrainedTasks trained) : IClassFixture<TrainedTasks>
{
    [Fact]
    public void RouteWithoutARouterOrSpecialistsIsAClearError()
    {
        using var home = new TempDir();
        var cli = new CliRunner(home.Path);
        var route = cli.Run("route", "some text");
        Assert.Equal(1, route.ExitCode);
        Assert.Contains("no router 'default'", route.Error);
        Assert.Contains("cadre router build", route.Error);
        var ask = cli.Run("ask", "--router", "mine", "text");
        Assert.Equal(1, ask.ExitCode);
        Assert.Contains("no router 'mine'", ask.Error);
        var build = cli.Run("router", "build");
        Assert.Equal(1, build.ExitCode);
        Assert.Contains("no specialists to route among", build.Error);
        Assert.Equal(2, cli.Run("router", "build", "--method", "nearest").ExitCode);
        Assert.Contains("no routers yet", cli.Run("router", "list").Out);
    }

    [Fact]
    public void SpecialistsTrainedBeforeRoutingSamplesRouteFromTheirDataOrSayToRetrain()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        var catalog = new SpecialistCatalog(home.Path);
        var record = catalog.Get("pets");
        var saved = RoutingSample.Read(Path.Combine(catalog.FolderOf("pets"), RoutingSample.FileName), "pets", record.Labels.Count);

        // As an older Cadre left it: no routing.safetensors. The sample is rebuilt from the recorded training file, identically.
        File.Delete(Path.Combine(catalog.FolderOf("pets"), RoutingSample.FileName));
        using (var encoder = RouterBuilder.LoadBase(home.Path, record.Base))
        {
            var rebuilt = RoutingSamples.For(home.Path, record, () => encoder);
            Assert.Equal(saved.Classes, rebuilt.Classes);
            var rounded = rebuilt.Embeddings.Select(v => (float)(Half)v).ToArray(); // the file keeps float16
            Assert.Equal(saved.Embeddings, rounded);
        }
        var build = cli.Run("router", "build");
        Assert.True(build.ExitCode == 0, build.Error);

        File.WriteAllText(Path.Combine(work.Path, "pets-train.tsv"), "text\tlabel\nchanged\tcat\n");
        var changed = cli.Run("router", "build", "--force");
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("changed since it was trained; retrain it", changed.Error);
        File.Delete(Path.Combine(work.Path, "pets-train.tsv"));
        var gone = cli.Run("router", "build", "--name", "other");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("is gone; retrain it", gone.Error);
        Assert.Contains("pets", gone.Error);

        // The router built before the file went away still routes: it captured what it needs.
        var route = cli.Run("route", "--json", "the cat sat on the mat");
        Assert.True(route.ExitCode == 0, route.Error);
        Assert.Equal("pets", JsonDocument.Parse(route.Out).RootElement.GetProperty("best").GetString());
    }

    [Fact]
    public void RetrainedSpecialistsMakeTheRouterWarnAndListShowRemoveWork()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        var spec = work.File("cadre.yaml");
        var build = cli.Run("router", "build", "--name", "two", "--method", "learned", "--specialists", "pets,paint", "--coverage", "0.9");
        Assert.True(build.ExitCode == 0, build.Error);
        Assert.Contains("over 2 specialists: pets, paint", build.Out);
        Assert.Contains("two", cli.Run("router", "list").Out);
        using (var shown = JsonDocument.Parse(cli.Run("router", "show", "two", "--json").Out))
        {
            var r = shown.RootElement;
            Assert.Equal(1, r.GetProperty("format_version").GetInt32());
            Assert.Equal("learned", r.GetProperty("method").GetString());
            Assert.Equal(0.9, r.GetProperty("abstention").GetProperty("coverage").GetDouble());
            Assert.Equal("probability", r.GetProperty("abstention").GetProperty("signal").GetString());
            Assert.True(r.GetProperty("temperature").GetDouble() > 0);
        }
        Assert.Equal(0, cli.Run("route", "--router", "two", "a red mat").ExitCode);
        Assert.DoesNotContain("warning", cli.Run("route", "--router", "two", "a red mat").Error);

        Assert.Equal(0, cli.Run("train", spec, "--only", "paint").ExitCode);
        var stale = cli.Run("route", "--router", "two", "a red mat");
        Assert.Equal(0, stale.ExitCode);
        Assert.Contains("warning: router 'two' was built before paint changed", stale.Error);

        var one = cli.Run("router", "build", "--method", "learned", "--specialists", "pets");
        Assert.Equal(1, one.ExitCode);
        Assert.Contains("at least 2 specialists", one.Error);
        Assert.Equal(1, cli.Run("router", "build", "--specialists", "pets,nope").ExitCode);

        Assert.Equal(0, cli.Run("router", "remove", "two").ExitCode);
        Assert.Equal(1, cli.Run("router", "show", "two").ExitCode);
        Assert.True(new SpecialistCatalog(home.Path).Contains("paint")); // removing a router leaves its specialists alone
    }

    [Fact]
    public void ExportedSpecialistsCarryTheirRoutingSample()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        using var other = new TempDir();
        var folder = work.File("export");
        Assert.Equal(0, cli.Run("specialist", "export", "pace", "-o", folder).ExitCode);
        Assert.True(File.Exists(Path.Combine(folder, RoutingSample.FileName)));

        var elsewhere = new CliRunner(other.Path);
        Assert.Equal(0, elsewhere.Run("base", "import", TinyTask.TinyBert, "--name", "tiny").ExitCode);
        Assert.Equal(0, elsewhere.Run("specialist", "import", folder).ExitCode);
        File.Delete(Path.Combine(work.Path, "pace-train.tsv")); // the copy must not need the data
        var build = elsewhere.Run("router", "build");
        Assert.True(build.ExitCode == 0, build.Error);

        var sample = Path.Combine(folder, RoutingSample.FileName);
        File.WriteAllBytes(sample, File.ReadAllBytes(sample)[..30]);
        var broken = elsewhere.Run("specialist", "import", folder, "--name", "pace2");
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains(RoutingSample.FileName, broken.Error);
    }
}
