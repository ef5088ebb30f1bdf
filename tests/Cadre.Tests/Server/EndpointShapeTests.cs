using System.Net;
using System.Text.Json;

namespace Cadre.Tests.Server;

/// <summary>Each work endpoint's happy path and answer shape, over the fake service.</summary>
public sealed class EndpointShapeTests
{
    [Fact]
    public async Task PredictAnswersEveryInputWithTopLevelPredictionsForASingleTask()
    {
        await using var host = await ServerHost.StartAsync();
        var response = await host.Client.PostJson("/v1/specialists/spam/predict", new { inputs = new[] { "win money now", "see you at lunch" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Json();
        Assert.Equal("spam", body.GetProperty("specialist").GetString());
        Assert.Equal(2, body.GetProperty("version").GetInt32()); // the loaded version
        var task = Assert.Single(body.GetProperty("tasks").EnumerateArray());
        Assert.Equal("spam", task.GetProperty("task").GetString());
        Assert.Equal("classification", task.GetProperty("kind").GetString());
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(["spam", "ham"], predictions.Select(p => p.GetProperty("label").GetString()));
        Assert.Equal(0.8, predictions[0].GetProperty("probabilities").GetProperty("spam").GetDouble(), 6);
        Assert.False(predictions[0].TryGetProperty("value", out _));
        Assert.False(predictions[0].TryGetProperty("labels", out _));
    }

    [Fact]
    public async Task PredictWithAMergedSpecialistAnswersEveryTaskOrTheNamedOne()
    {
        await using var host = await ServerHost.StartAsync();
        var all = await (await host.Client.PostJson("/v1/specialists/spam-era/predict", new { inputs = new[] { "hello" } })).Json();
        Assert.Equal(["spam", "era"], all.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("task").GetString()));
        Assert.False(all.TryGetProperty("predictions", out _));
        Assert.Equal(2, all.GetProperty("version").GetInt32()); // not loaded: HEAD's version

        var one = await (await host.Client.PostJson("/v1/specialists/spam-era/predict", new { inputs = new[] { "hello" }, task = "era" })).Json();
        Assert.Equal("era", Assert.Single(one.GetProperty("tasks").EnumerateArray()).GetProperty("task").GetString());
        Assert.Equal("era", host.Service.LastTask);
    }

    [Fact]
    public async Task MultilabelPredictionsCarryTheirLabels()
    {
        await using var host = await ServerHost.StartAsync();
        var body = await (await host.Client.PostJson("/v1/specialists/topics/predict", new { inputs = new[] { "win" } })).Json();
        var p = Assert.Single(body.GetProperty("predictions").EnumerateArray());
        Assert.Equal(["tech"], p.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("multilabel", body.GetProperty("tasks")[0].GetProperty("kind").GetString());
    }

    [Fact]
    public async Task RouteNamesTheSpecialistOrNullWhenAbstaining()
    {
        await using var host = await ServerHost.StartAsync();
        var body = await (await host.Client.PostJson("/v1/route", new { inputs = new[] { "win a prize", "what ???" } })).Json();
        var routes = body.GetProperty("routes").EnumerateArray().ToList();
        Assert.Equal("spam", routes[0].GetProperty("specialist").GetString());
        Assert.False(routes[0].GetProperty("abstained").GetBoolean());
        Assert.Equal(0.85, routes[0].GetProperty("confidence").GetDouble(), 6);
        Assert.Equal(JsonValueKind.Null, routes[0].GetProperty("threshold").ValueKind); // -infinity has no JSON form
        Assert.Equal(3, routes[0].GetProperty("scores").EnumerateObject().Count());
        Assert.Equal(JsonValueKind.Null, routes[1].GetProperty("specialist").ValueKind);
        Assert.True(routes[1].GetProperty("abstained").GetBoolean());
        Assert.Equal("era", routes[1].GetProperty("best").GetString());
    }

    [Fact]
    public async Task RouteWithANamedRouterPassesItOnAndUnknownRoutersAre404()
    {
        await using var host = await ServerHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.Client.PostJson("/v1/route", new { inputs = new[] { "x" }, router = "default" })).StatusCode);
        Assert.Equal("default", host.Service.LastRouter);
        await (await host.Client.PostJson("/v1/route", new { inputs = new[] { "x" }, router = "nope" })).Problem(404, "not-found");
    }

    [Fact]
    public async Task AskGivesEachInputItsRouteAndPrediction()
    {
        await using var host = await ServerHost.StartAsync();
        var body = await (await host.Client.PostJson("/v1/ask", new { inputs = new[] { "win big", "huh ???" } })).Json();
        var answers = body.GetProperty("answers").EnumerateArray().ToList();
        Assert.Equal("spam", answers[0].GetProperty("route").GetProperty("specialist").GetString());
        Assert.Equal("spam", answers[0].GetProperty("prediction").GetProperty("label").GetString());
        Assert.Equal(JsonValueKind.Null, answers[1].GetProperty("prediction").ValueKind);
    }

    [Fact]
    public async Task EmbedReturnsOneVectorPerInputAndTheDimension()
    {
        await using var host = await ServerHost.StartAsync();
        var body = await (await host.Client.PostJson("/v1/embed", new { inputs = new[] { "abc", "hello" }, specialist = "spam" })).Json();
        Assert.Equal(3, body.GetProperty("dimension").GetInt32());
        var vectors = body.GetProperty("embeddings").EnumerateArray().ToList();
        Assert.Equal(2, vectors.Count);
        Assert.Equal(5, vectors[1][0].GetSingle());
        Assert.Equal(1, vectors[1][1].GetSingle()); // through the specialist
    }

    [Fact]
    public async Task SpecialistsListAndDetailShowStatusVersionsAndLineage()
    {
        await using var host = await ServerHost.StartAsync();
        var list = await (await host.Client.GetAsync("/v1/specialists", Http.Cancel)).Json();
        var specialists = list.GetProperty("specialists").EnumerateArray().ToList();
        Assert.Equal(["spam", "era", "topics", "spam-era"], specialists.Select(s => s.GetProperty("name").GetString()));
        var spam = specialists[0];
        Assert.Equal("lora", spam.GetProperty("method").GetString());
        Assert.Equal("b2c3d4", spam.GetProperty("version_id").GetString());
        Assert.Equal(2, spam.GetProperty("loaded_version").GetInt32());
        Assert.True(spam.GetProperty("hot").GetBoolean());
        Assert.Equal(4096, spam.GetProperty("adapter_bytes").GetInt64());
        Assert.Equal(0.91, spam.GetProperty("metrics").GetProperty("accuracy").GetDouble(), 6);
        Assert.False(spam.GetProperty("metrics").TryGetProperty("broken", out _)); // NaN is left out
        Assert.Equal(JsonValueKind.Null, specialists[1].GetProperty("loaded_version").ValueKind);

        var detail = await (await host.Client.GetAsync("/v1/specialists/spam-era", Http.Cancel)).Json();
        Assert.Equal("spam-era", detail.GetProperty("specialist").GetProperty("name").GetString());
        Assert.Equal(["ham", "spam"], detail.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var versions = detail.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal([2, 1], versions.Select(v => v.GetProperty("number").GetInt32()));
        Assert.Equal("prod", versions[0].GetProperty("tags")[0].GetString());
        Assert.True(versions[0].TryGetProperty("created_at", out _));
        Assert.Equal("ties", detail.GetProperty("lineage").GetProperty("method").GetString());
        Assert.Equal(["spam@2", "era@1"], detail.GetProperty("lineage").GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));

        var trained = await (await host.Client.GetAsync("/v1/specialists/spam", Http.Cancel)).Json();
        Assert.Equal(JsonValueKind.Null, trained.GetProperty("lineage").ValueKind);
    }

    [Fact]
    public async Task StatsCarryTheEngineCountersAndThroughput()
    {
        await using var host = await ServerHost.StartAsync();
        await host.Client.PostJson("/v1/specialists/spam/predict", new { inputs = new[] { "a", "b", "c" } });
        var body = await (await host.Client.GetAsync("/v1/stats", Http.Cancel)).Json();
        Assert.Equal(3, body.GetProperty("rows").GetInt64());
        Assert.Equal(5, body.GetProperty("batch_sizes").GetProperty("1").GetInt64());
        Assert.Equal("spam", body.GetProperty("top_specialists")[0].GetProperty("name").GetString());
        Assert.Equal(40, body.GetProperty("top_specialists")[0].GetProperty("inputs").GetInt64());
        Assert.True(body.TryGetProperty("requests_per_second", out _));
        Assert.Equal(JsonValueKind.Array, body.GetProperty("history").ValueKind);
        Assert.False(body.GetProperty("draining").GetBoolean());
    }

    [Fact]
    public async Task HealthAndReadinessAnswer200WhenServing()
    {
        await using var host = await ServerHost.StartAsync();
        Assert.Equal("ok", (await (await host.Client.GetAsync("/healthz", Http.Cancel)).Json()).GetProperty("status").GetString());
        Assert.Equal("ready", (await (await host.Client.GetAsync("/readyz", Http.Cancel)).Json()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApiDocumentListsTheRoutes()
    {
        await using var host = await ServerHost.StartAsync();
        var doc = await (await host.Client.GetAsync("/openapi/v1.json", Http.Cancel)).Json();
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/route", out var route));
        Assert.True(route.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/v1/specialists/{name}/predict", out _));
        Assert.True(paths.TryGetProperty("/v1/specialists/{name}", out var admin));
        Assert.True(admin.TryGetProperty("put", out _));
        Assert.False(paths.TryGetProperty("/", out _)); // the dashboard is not API
    }

    [Fact]
    public async Task DashboardIsServedFromTheAssembly()
    {
        await using var host = await ServerHost.StartAsync();
        var page = await host.Client.GetAsync("/", Http.Cancel);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Http.Cancel);
        Assert.Contains("dashboard/dashboard.js", html);
        var script = await host.Client.GetAsync("/dashboard/dashboard.js", Http.Cancel);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        await (await host.Client.GetAsync("/dashboard/missing.js", Http.Cancel)).Problem(404, "not-found");
    }
}
