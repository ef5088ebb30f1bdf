using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Cadre.Server;
using Cadre.Serving;
using Cadre.Specialists;
using Cadre.Tests.Server;
using Microsoft.Extensions.Logging;

namespace Cadre.Tests.Serving;

/// <summary>The real engine behind the real server on loopback: every endpoint answers from trained specialists.</summary>
public sealed class ServerOverEngineTests(ServedHome served) : IClassFixture<ServedHome>
{
    private const string Token = "engine-admin-token";

    [Fact]
    public async Task EndpointsAnswerFromTheStoreAndMixedRequestsShareBatches()
    {
        await using var engine = new SpecialistEngine(served.Home, new ServingOptions { MaxBatchWait = TimeSpan.FromMilliseconds(300) });
        var app = CadreServer.Build(engine, new ServerSettings { Host = "127.0.0.1", Port = 0, AdminToken = Token, LogLevel = LogLevel.None });
        await app.StartAsync(Http.Cancel);
        try
        {
            using var client = new HttpClient { BaseAddress = app.Address(), Timeout = TimeSpan.FromSeconds(60) };
            var list = await (await client.GetAsync("/v1/specialists", Http.Cancel)).Json();
            Assert.Contains(list.GetProperty("specialists").EnumerateArray(), s => s.GetProperty("name").GetString() == "both-merged");

            string[] texts = ["the cat sat", "red and blue"];
            var names = new[] { "pets-lora", "colors-lora8", "pets-ia3", "colors-prompt" };
            var responses = await Task.WhenAll(names.Select(n => client.PostAsJsonAsync($"/v1/specialists/{n}/predict", new { inputs = texts }, Http.Cancel)));
            for (var k = 0; k < names.Length; k++)
            {
                Assert.Equal(HttpStatusCode.OK, responses[k].StatusCode);
                var body = await responses[k].Json();
                Assert.Equal(1, body.GetProperty("version").GetInt32());
                using var model = SpecialistModel.Load(served.Home, names[k]);
                var expected = model.Predict(texts);
                var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
                Assert.Equal(expected.Select(p => p.Label), predictions.Select(p => p.GetProperty("label").GetString()));
            }
            Assert.True(engine.Stats().Batches < names.Length, $"{engine.Stats().Batches} batches for {names.Length} concurrent requests");

            var merged = await (await client.PostAsJsonAsync("/v1/specialists/both-merged/predict", new { inputs = texts }, Http.Cancel)).Json();
            Assert.Equal(2, merged.GetProperty("tasks").GetArrayLength());
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/route", new { inputs = texts }, Http.Cancel)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/ask", new { inputs = texts }, Http.Cancel)).StatusCode);
            var embed = await (await client.PostAsJsonAsync("/v1/embed", new { inputs = texts }, Http.Cancel)).Json();
            Assert.Equal(2, embed.GetProperty("embeddings").GetArrayLength());
            var detail = await (await client.GetAsync("/v1/specialists/both-merged", Http.Cancel)).Json();
            Assert.Contains("linear", detail.ToString());

            await (await client.PostAsJsonAsync("/v1/specialists/nobody/predict", new { inputs = texts }, Http.Cancel)).Problem(404);
            using var unauthorized = new HttpRequestMessage(HttpMethod.Put, "/v1/specialists/pets-lora") { Content = JsonContent.Create(new { version = "1" }) };
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(unauthorized, Http.Cancel)).StatusCode);
            using var load = new HttpRequestMessage(HttpMethod.Put, "/v1/specialists/pets-lora") { Content = JsonContent.Create(new { version = "1" }) };
            load.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(load, Http.Cancel)).StatusCode);
            using var unload = new HttpRequestMessage(HttpMethod.Delete, "/v1/specialists/pets-lora");
            unload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            Assert.True((await client.SendAsync(unload, Http.Cancel)).IsSuccessStatusCode);
            Assert.DoesNotContain(engine.List(), s => s.Name == "pets-lora" && s.Hot);

            var metrics = await client.GetStringAsync("/metrics", Http.Cancel);
            Assert.Contains("cadre_http_requests_total", metrics);
            Assert.Contains("cadre_batches_total", metrics);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
