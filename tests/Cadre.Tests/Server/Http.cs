using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cadre.Tests.Server;

/// <summary>Small helpers: post JSON, read JSON, and assert a problem-details answer.</summary>
internal static class Http
{
    public static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body, Cancel);

    public static Task<HttpResponseMessage> PostRaw(this HttpClient client, string path, string body) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Cancel);

    public static async Task<JsonElement> Json(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>Asserts the status, the problem+json content type and the RFC 7807 members; returns the body.</summary>
    public static async Task<JsonElement> Problem(this HttpResponseMessage response, int status, string? kind = null)
    {
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        var p = doc.RootElement.Clone();
        Assert.Equal(status, p.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("detail").GetString()));
        Assert.StartsWith("urn:cadre:problem:", p.GetProperty("type").GetString());
        if (kind is not null)
            Assert.Equal($"urn:cadre:problem:{kind}", p.GetProperty("type").GetString());
        return p;
    }
}
