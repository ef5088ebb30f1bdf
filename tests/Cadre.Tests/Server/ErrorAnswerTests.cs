using System.Net;
using System.Text;
using Cadre.Serving;

namespace Cadre.Tests.Server;

/// <summary>Every failure is an RFC 7807 problem with the right status; bad input is a 4xx, never a 500.</summary>
public sealed class ErrorAnswerTests
{
    public static TheoryData<ServingErrorKind, int, string> Kinds() => new()
    {
        { ServingErrorKind.BadRequest, 400, "bad-request" },
        { ServingErrorKind.NotFound, 404, "not-found" },
        { ServingErrorKind.TooLarge, 413, "too-large" },
        { ServingErrorKind.Overloaded, 429, "overloaded" },
        { ServingErrorKind.Timeout, 504, "timeout" },
        { ServingErrorKind.Unavailable, 503, "unavailable" },
        { ServingErrorKind.NonFiniteOutput, 500, "non-finite-output" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task EachServingErrorKindHasItsStatus(ServingErrorKind kind, int status, string type)
    {
        await using var host = await ServerHost.StartAsync();
        host.Service.Fail = new ServingException(kind, $"the engine said {kind}");
        foreach (var (path, body) in new (string, object)[]
                 {
                     ("/v1/specialists/spam/predict", new { inputs = new[] { "x" } }), ("/v1/route", new { inputs = new[] { "x" } }),
                     ("/v1/ask", new { inputs = new[] { "x" } }), ("/v1/embed", new { inputs = new[] { "x" } }),
                 })
        {
            var problem = await (await host.Client.PostJson(path, body)).Problem(status, type);
            Assert.Equal($"the engine said {kind}", problem.GetProperty("detail").GetString());
            Assert.Equal(path, problem.GetProperty("instance").GetString());
        }
    }

    [Fact]
    public async Task OverloadedAnswers429WithRetryAfterInSeconds()
    {
        await using var host = await ServerHost.StartAsync();
        host.Service.Fail = new ServingException(ServingErrorKind.Overloaded, "queue full", TimeSpan.FromMilliseconds(2500));
        var response = await host.Client.PostJson("/v1/route", new { inputs = new[] { "x" } });
        await response.Problem(429, "overloaded");
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task UnknownSpecialistIsA404Problem()
    {
        await using var host = await ServerHost.StartAsync();
        var problem = await (await host.Client.PostJson("/v1/specialists/nope/predict", new { inputs = new[] { "x" } })).Problem(404, "not-found");
        Assert.Contains("nope", problem.GetProperty("detail").GetString());
        await (await host.Client.GetAsync("/v1/specialists/nope", Http.Cancel)).Problem(404, "not-found");
    }

    [Fact]
    public async Task UnknownRoutesAndWrongMethodsAreProblems()
    {
        await using var host = await ServerHost.StartAsync();
        await (await host.Client.GetAsync("/v2/nothing", Http.Cancel)).Problem(404, "not-found");
        await (await host.Client.GetAsync("/v1/route", Http.Cancel)).Problem(405, "method-not-allowed");
    }

    [Theory]
    [InlineData("{\"inputs\": [\"a\"", "not the expected JSON")]          // cut short
    [InlineData("not json at all", "not the expected JSON")]
    [InlineData("{\"inputs\": \"a single string\"}", "not the expected JSON")] // wrong type
    [InlineData("{\"inputs\": [1, 2]}", "not the expected JSON")]
    [InlineData("{\"input\": [\"typo\"]}", "unknown field \"input\"")]          // unknown member, named
    [InlineData("{}", "\"inputs\"")]
    [InlineData("{\"inputs\": []}", "empty")]
    [InlineData("{\"inputs\": [\"a\", null]}", "inputs[1] is null")]
    [InlineData("{\"inputs\": [\"a\"], \"task\": \" \"}", "blank")]
    public async Task MalformedBodiesAre400WithAReason(string body, string reason)
    {
        await using var host = await ServerHost.StartAsync();
        var problem = await (await host.Client.PostRaw("/v1/specialists/spam/predict", body)).Problem(400);
        Assert.Contains(reason, problem.GetProperty("detail").GetString());
        Assert.Equal(0, host.Service.Calls("PredictAsync"));
    }

    [Fact]
    public async Task AMissingBodyOrAWrongMediaTypeIsA4xxProblem()
    {
        await using var host = await ServerHost.StartAsync();
        await (await host.Client.PostAsync("/v1/route", new StringContent("", Encoding.UTF8, "application/json"), Http.Cancel)).Problem(400);
        await (await host.Client.PostAsync("/v1/route", new StringContent("{\"inputs\":[\"x\"]}", Encoding.UTF8, "text/plain"), Http.Cancel)).Problem(415);
    }

    [Fact]
    public async Task TooManyInputsOrTooLongAnInputIs413BeforeTheServiceIsCalled()
    {
        await using var host = await ServerHost.StartAsync(new ServingOptions { MaxInputs = 3, MaxInputChars = 10 });
        var many = await (await host.Client.PostJson("/v1/route", new { inputs = new[] { "a", "b", "c", "d" } })).Problem(413, "too-large");
        Assert.Contains("4 inputs", many.GetProperty("detail").GetString());
        var longOne = await (await host.Client.PostJson("/v1/embed", new { inputs = new[] { "ok", new string('x', 11) } })).Problem(413, "too-large");
        Assert.Contains("inputs[1]", longOne.GetProperty("detail").GetString());
        Assert.Equal(0, host.Service.Calls("RouteAsync") + host.Service.Calls("EmbedAsync"));
        Assert.Equal(HttpStatusCode.OK, (await host.Client.PostJson("/v1/route", new { inputs = new[] { "a", "b", "c" } })).StatusCode);
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413DeclaredOrChunked()
    {
        await using var host = await ServerHost.StartAsync(new ServingOptions { MaxBodyBytes = 2048, MaxInputChars = 100_000 });
        var big = "{\"inputs\": [\"" + new string('x', 4000) + "\"]}";
        var declared = await host.Client.PostRaw("/v1/route", big);
        var p = await declared.Problem(413, "too-large");
        Assert.Contains("2048 bytes", p.GetProperty("detail").GetString());

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/route") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await (await host.Client.SendAsync(request, Http.Cancel)).Problem(413, "too-large");
        Assert.Equal(0, host.Service.Calls("RouteAsync"));
    }

    [Fact]
    public async Task AnUnexpectedExceptionIsA500WithoutInternals()
    {
        await using var host = await ServerHost.StartAsync();
        host.Service.Fail = new InvalidOperationException("secret internal state at Cadre.Serving.Engine.Run()");
        var response = await host.Client.PostJson("/v1/ask", new { inputs = new[] { "x" } });
        var problem = await response.Problem(500, "internal");
        var text = problem.GetRawText();
        Assert.DoesNotContain("secret", text);
        Assert.DoesNotContain("Cadre.Serving", text);
        Assert.DoesNotContain(" at ", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AUserErrorOfTheLibraryIsA400()
    {
        await using var host = await ServerHost.StartAsync();
        host.Service.Fail = new CadreException("specialist 'spam' answers 2 tasks; choose one with task");
        var problem = await (await host.Client.PostJson("/v1/specialists/spam/predict", new { inputs = new[] { "x" } })).Problem(400);
        Assert.Contains("choose one", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AStoreBusyPastTheLockWaitIsA503WithRetryAfter()
    {
        await using var host = await ServerHost.StartAsync();
        host.Service.Fail = new Cadre.Store.StoreBusyException("store busy (refs.lock held by another Cadre process for over 120 s)");
        var response = await host.Client.PostJson("/v1/specialists/spam/predict", new { inputs = new[] { "x" } });
        var problem = await response.Problem(503, "unavailable");
        Assert.Contains("refs.lock", problem.GetProperty("detail").GetString());
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
    }
}
