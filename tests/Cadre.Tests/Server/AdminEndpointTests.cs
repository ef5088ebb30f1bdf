using System.Net;
using System.Net.Http.Json;

namespace Cadre.Tests.Server;

/// <summary>Load and unload need the bearer token; without one configured they are closed to everyone.</summary>
public sealed class AdminEndpointTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    [InlineData("s3cret-admin-toke")]
    public async Task AdminWithoutTheRightTokenIs401WithWwwAuthenticate(string? token)
    {
        await using var host = await ServerHost.StartAsync();
        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Delete })
        {
            var response = await host.Client.SendAsync(host.Admin(method, "/v1/specialists/spam", token), Http.Cancel);
            await response.Problem(401, "unauthorized");
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }
        Assert.Equal(0, host.Service.Calls("LoadAsync") + host.Service.Calls("Unload"));
    }

    [Fact]
    public async Task AdminIsClosedWhenNoTokenIsConfigured()
    {
        await using var host = await ServerHost.StartAsync(configure: s => s with { AdminToken = null });
        var response = await host.Client.SendAsync(host.Admin(HttpMethod.Put, "/v1/specialists/spam", token: null), Http.Cancel);
        var problem = await response.Problem(401, "unauthorized");
        Assert.Contains("CADRE_ADMIN_TOKEN", problem.GetProperty("detail").GetString());
        response = await host.Client.SendAsync(host.Admin(HttpMethod.Delete, "/v1/specialists/spam", token: "anything"), Http.Cancel);
        await response.Problem(401);
        Assert.Equal(0, host.Service.Calls("LoadAsync") + host.Service.Calls("Unload"));
    }

    [Fact]
    public async Task LoadWithTheTokenHotReloadsTheNamedVersionOrHead()
    {
        await using var host = await ServerHost.StartAsync();
        var response = await host.Client.SendAsync(host.Admin(HttpMethod.Put, "/v1/specialists/era", content: JsonContent.Create(new { version = 1 })), Http.Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await response.Json();
        Assert.Equal(1, status.GetProperty("loaded_version").GetInt32());
        Assert.True(status.GetProperty("hot").GetBoolean());
        Assert.Equal("1", host.Service.LastRevision);

        response = await host.Client.SendAsync(host.Admin(HttpMethod.Put, "/v1/specialists/era", content: JsonContent.Create(new { version = "prod" })), Http.Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("prod", host.Service.LastRevision);

        response = await host.Client.SendAsync(host.Admin(HttpMethod.Put, "/v1/specialists/era"), Http.Cancel); // no body: HEAD
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(host.Service.LastRevision);

        response = await host.Client.SendAsync(host.Admin(HttpMethod.Put, "/v1/specialists/era", content: JsonContent.Create(new { version = "9" })), Http.Cancel);
        await response.Problem(404, "not-found");
        response = await host.Client.SendAsync(host.Admin(HttpMethod.Put, "/v1/specialists/era", content: JsonContent.Create(new { version = true })), Http.Cancel);
        await response.Problem(400);
    }

    [Fact]
    public async Task UnloadWithTheTokenDropsFromThePool()
    {
        await using var host = await ServerHost.StartAsync();
        var first = await (await host.Client.SendAsync(host.Admin(HttpMethod.Delete, "/v1/specialists/spam"), Http.Cancel)).Json();
        Assert.True(first.GetProperty("unloaded").GetBoolean());
        var again = await (await host.Client.SendAsync(host.Admin(HttpMethod.Delete, "/v1/specialists/spam"), Http.Cancel)).Json();
        Assert.False(again.GetProperty("unloaded").GetBoolean());
        await (await host.Client.SendAsync(host.Admin(HttpMethod.Delete, "/v1/specialists/nope"), Http.Cancel)).Problem(404);
    }
}
