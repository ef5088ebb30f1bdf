using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cadre.Tests.Hub;

/// <summary>
/// A small Hugging Face Hub on 127.0.0.1, serving <see cref="StandInRepository"/>s the way huggingface.co serves
/// models (the routes are in <see cref="HubStandInRoutes"/>): the revision and tree APIs, <c>resolve</c> with
/// HEAD and GET, ETag / X-Repo-Commit / X-Linked-Etag / X-Linked-Size, a relative 307 for small files to a
/// commit-pinned address, a 302 for LFS files to a "CDN" that listens
/// on a second port (another origin, as cdn-lfs.hf.co is: a client must not send its token there, and the CDN
/// refuses a request that carries one, as S3 does), Range requests, 401/403/404 with X-Error-Code. Faults can be
/// armed: a connection cut after N bytes, a file served with a damaged byte. Every request is logged.
/// </summary>
internal sealed class HubStandIn : IAsyncDisposable
{
    public sealed record Request(string Method, string Path, string? Range, bool Authorized, bool Cdn);

    private readonly WebApplication _app;

    private HubStandIn(WebApplication app, string endpoint, string cdn)
    {
        _app = app;
        Endpoint = endpoint;
        CdnEndpoint = cdn;
    }

    /// <summary>The Hub's address (HF_ENDPOINT) and the CDN's.</summary>
    public string Endpoint { get; }
    public string CdnEndpoint { get; }

    public ConcurrentDictionary<string, StandInRepository> Repositories { get; } = new(StringComparer.Ordinal);

    /// <summary>Tokens the Hub knows; any other Bearer token gets 401 "Invalid credentials in Authorization header".</summary>
    public HashSet<string> Tokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Entries per page of the tree API (the Hub pages large listings; small here, so paging is exercised).</summary>
    public int PageSize { get; set; } = 4;

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Armed cuts: path → (bytes sent before the connection drops, how many more times).</summary>
    public ConcurrentDictionary<string, (long Bytes, int Times)> Cuts { get; } = new(StringComparer.Ordinal);

    /// <summary>Paths served with one byte changed (the headers still give the true hash and size).</summary>
    public ConcurrentDictionary<string, bool> Damaged { get; } = new(StringComparer.Ordinal);

    public static async Task<HubStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0);
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        HubStandIn? standIn = null;
        app.Run(context => HubStandInRoutes.Handle(standIn!, context));
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        standIn = new HubStandIn(app, addresses[0].TrimEnd('/'), addresses[1].TrimEnd('/'));
        return standIn;
    }

    public StandInRepository Add(string id, bool isPrivate = false, bool gated = false)
    {
        var repository = new StandInRepository(id) { Private = isPrivate, Gated = gated };
        Repositories[id] = repository;
        return repository;
    }

    /// <summary>Drops the connection after <paramref name="bytes"/> bytes of <paramref name="path"/>'s content, <paramref name="times"/> times.</summary>
    public void CutAfter(string path, long bytes, int times = 1) => Cuts[path] = (bytes, times);

    /// <summary>Whether a request is about one file (resolve, resolve-cache, the CDN) rather than the repository.</summary>
    public static bool IsFileRequest(Request r) =>
        r.Cdn || r.Path.Contains("/resolve/", StringComparison.Ordinal) || r.Path.Contains("/resolve-cache/", StringComparison.Ordinal);

    /// <summary>GET requests for file content, the downloads.</summary>
    public IReadOnlyList<Request> ContentRequests() => [.. Requests.Where(r => r.Method == "GET" && IsFileRequest(r))];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
