using System.Text.Json;
using Cadre.Tests.Cli;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Routing;

/// <summary>router build, route and ask end to end on three tiny tasks over the tiny BERT base.</summary>
[Collection(TorchCollection.Name)]
public sealed class RouteCommandTests(TrainedTasks trained) : IClassFixture<TrainedTasks>
{
    private static List<JsonElement> JsonLines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    [Theory]
    [InlineData("prototype")]
    [InlineData("learned")]
    public void RoutesEachTextToItsTasksSpecialistAndAsksIt(string method)
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        foreach (var task in RoutingTasks.All)
            Assert.True(File.Exists(Path.Combine(new Cadre.Specialists.SpecialistCatalog(home.Path).FolderOf(task.Name), "routing.safetensors")), task.Name);

        var build = cli.Run("router", "build", "--method", method);
        Assert.True(build.ExitCode == 0, build.Error);
        Assert.Contains("built router 'default'", build.Out);

        var union = RoutingTasks.TestUnion();
        var input = RoutingTasks.WriteTsv(work.File("union.txt"), []);
        File.WriteAllLines(input, union.Select(u => u.Text));
        var route = cli.Run("route", "--json", "--input", input);
        Assert.True(route.ExitCode == 0, route.Error);
        var lines = JsonLines(route.Out);
        Assert.Equal(union.Count, lines.Count);
        var correct = lines.Zip(union).Count(p => p.First.GetProperty("best").GetString() == p.Second.Task);
        Assert.True(correct >= 0.95 * union.Count, $"{method}: {correct} of {union.Count} routed right\n{route.Out}");
        foreach (var line in lines)
        {
            var scores = line.GetProperty("scores").EnumerateObject().ToList();
            Assert.Equal(RoutingTasks.All.Select(t => t.Name).Order(), scores.Select(s => s.Name).Order());
            Assert.Equal(1.0, scores.Sum(s => s.Value.GetDouble()), 3);
            var specialist = line.GetProperty("specialist");
            Assert.Equal(line.GetProperty("abstained").GetBoolean(), specialist.ValueKind == JsonValueKind.Null);
        }
        var answered = lines.Count(l => !l.GetProperty("abstained").GetBoolean());
        Assert.True(answered >= 0.8 * union.Count, $"{method}: only {answered} of {union.Count} in-scope texts answered");

        var plain = cli.Run("route", "the dog sat on the mat").Out.TrimEnd().Split('\t');
        Assert.Equal(4, plain.Length); // choice, probability, every score best first, text
        Assert.StartsWith("pets:", plain[2]);
        Assert.Equal(3, plain[2].Split(' ').Length);
        Assert.Equal("the dog sat on the mat", plain[3]);

        string[] asked = ["the dog sat on the mat", "a big red is", "hello world runs slow"];
        var ask = cli.Run(["ask", "--json", "--force", .. asked]);
        Assert.True(ask.ExitCode == 0, ask.Error);
        var answers = JsonLines(ask.Out);
        Assert.Equal(["pets", "paint", "pace"], answers.Select(a => a.GetProperty("specialist").GetString()));
        for (var i = 0; i < asked.Length; i++)
        {
            // ask answers exactly what the chosen specialist predicts on its own
            using var alone = JsonDocument.Parse(cli.Run("predict", RoutingTasks.All[i].Name, "--json", asked[i]).Out);
            Assert.Equal(alone.RootElement.GetProperty("label").GetString(), answers[i].GetProperty("label").GetString());
            Assert.Equal(alone.RootElement.GetProperty("probabilities").GetRawText(), answers[i].GetProperty("probabilities").GetRawText());
        }
    }

    [Fact]
    public void OutOfScopeTextsAbstainMoreOftenThanInScopeOnes()
    {
        var (home, work, cli) = trained.Copy();
        using var _ = home;
        using var __ = work;
        Assert.Equal(0, cli.Run("router", "build").ExitCode);
        string[] outside = [.. RoutingTasks.OutOfScope(40, 5)];
        var route = cli.Run(["route", "--json", .. outside]);
        Assert.True(route.ExitCode == 0, route.Error);
        var abstained = JsonLines(route.Out).Count(l => l.GetProperty("abstained").GetBoolean());
        Assert.True(abstained >= 0.75 * outside.Length, $"{abstained} of {outside.Length} out-of-scope texts abstained\n{route.Out}");

        var plain = cli.Run("ask", outside[0]);
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.StartsWith("(abstain)", plain.Out);
    }
}
