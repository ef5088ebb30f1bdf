using System.Net.Http.Headers;
using Cadre.Server;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Cadre.Tests.Server;

/// <summary>A started server on 127.0.0.1 and a free port, over a <see cref="FakeSpecialistService"/>, with a client.</summary>
internal sealed class ServerHost : IAsyncDisposable
{
    public const string Token = "s3cret-admin-token";

    private ServerHost(FakeSpecialistService service, WebApplication app)
    {
        Service = service;
        App = app;
        Address = app.Address();
        Client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public FakeSpecialistService Service { get; }
    public WebApplication App { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }

    public static async Task<ServerHost> StartAsync(ServingOptions? options = null, Func<ServerSettings, ServerSettings>? configure = null)
    {
        var service = new FakeSpecialistService(options);
        var settings = new ServerSettings { Host = "127.0.0.1", Port = 0, AdminToken = Token, LogLevel = LogLevel.None, ShutdownTimeout = TimeSpan.FromSeconds(10) };
        var app = CadreServer.Build(service, configure is null ? settings : configure(settings));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new ServerHost(service, app);
    }

    public HttpRequestMessage Admin(HttpMethod method, string path, string? token = Token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
