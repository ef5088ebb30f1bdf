using System.Net.Http.Headers;
using System.Text;

namespace Cadre.Tests.Server;

/// <summary>
/// Every request contract refuses unknown and duplicate fields, and wrong types, with a 400 in the API's terms: the
/// JSON field name and path and the fields the endpoint takes, never a .NET type or member name.
/// </summary>
public sealed class JsonBodyTests
{
    public static TheoryData<string, string, string> Contracts() => new()
    {
        { "POST", "/v1/specialists/spam/predict", "inputs, task" },
        { "POST", "/v1/route", "inputs, router" },
        { "POST", "/v1/ask", "inputs, router" },
        { "POST", "/v1/embed", "inputs, specialist" },
        { "PUT", "/v1/specialists/spam", "version" },
    };

    [Theory]
    [MemberData(nameof(Contracts))]
    public async Task AnUnknownFieldIsNamedWithTheFieldsTheEndpointTakes(string method, string path, string expected)
    {
        await using var host = await ServerHost.StartAsync();
        var problem = await (await Send(host, method, path, "{\"inptus\": [\"a\"]}")).Problem(400, "bad-request");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains($"unknown field \"inptus\" at $.inptus (expected one of: {expected})", detail);
        AssertNoDotNet(detail);
    }

    [Theory]
    [MemberData(nameof(Contracts))]
    public async Task ADuplicateFieldIsRefusedAndNamed(string method, string path, string expected)
    {
        await using var host = await ServerHost.StartAsync();
        var field = expected.Split(", ")[0];
        var value = field == "inputs" ? "[\"a\"]" : "\"1\"";
        var problem = await (await Send(host, method, path, $"{{\"{field}\": {value}, \"{field}\": {value}}}")).Problem(400, "bad-request");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains($"duplicate field \"{field}\" at $.{field}", detail);
        AssertNoDotNet(detail);
        Assert.Equal(0, host.Service.Calls("PredictAsync") + host.Service.Calls("RouteAsync") + host.Service.Calls("EmbedAsync") + host.Service.Calls("LoadAsync"));
    }

    [Theory]
    [InlineData("{\"inputs\": \"one\"}", "$.inputs must be an array of strings")]
    [InlineData("{\"inputs\": [\"a\", 2]}", "$.inputs[1] must be a string")]
    [InlineData("{\"inputs\": [\"a\"], \"task\": 3}", "$.task must be a string")]
    [InlineData("[\"a\"]", "the body must be an object")]
    [InlineData("{\"inputs\": [\"a\"], \"Inputs\": [\"b\"]}", "duplicate field")]
    public async Task AWrongTypeSaysWhatTheFieldMustBe(string body, string reason)
    {
        await using var host = await ServerHost.StartAsync();
        var detail = (await (await host.Client.PostRaw("/v1/specialists/spam/predict", body)).Problem(400)).GetProperty("detail").GetString()!;
        Assert.Contains(reason, detail);
        AssertNoDotNet(detail);
    }

    [Fact]
    public async Task TheAdminVersionConverterKeepsItsOwnWords()
    {
        await using var host = await ServerHost.StartAsync();
        var detail = (await (await Send(host, "PUT", "/v1/specialists/spam", "{\"version\": [1]}")).Problem(400)).GetProperty("detail").GetString()!;
        Assert.Contains("version must be a string", detail);
        AssertNoDotNet(detail);
    }

    private static void AssertNoDotNet(string detail)
    {
        foreach (var internals in new[] { ".NET", "System.", "Cadre.", "Request'", "IReadOnlyList", "type '" })
            Assert.DoesNotContain(internals, detail);
    }

    private static Task<HttpResponseMessage> Send(ServerHost host, string method, string path, string json)
    {
        var request = host.Admin(new HttpMethod(method), path, content: new StringContent(json, Encoding.UTF8, "application/json"));
        if (method == "POST") request.Headers.Authorization = null;
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return host.Client.SendAsync(request, Http.Cancel);
    }
}
