using System.Net.Sockets;
using System.Runtime.InteropServices;
using Cadre.Server.Endpoints;
using Cadre.Server.Hosting;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cadre.Server;

/// <summary>
/// The HTTP server over any <see cref="ISpecialistService"/>: the same host runs under <c>cadre serve</c> (with the
/// real engine) and in tests (with a fake). It holds no tensor code; endpoints check the request's shape and limits,
/// call the service, and shape the answer. The caller owns the service and disposes it after the app stops.
/// </summary>
public static class CadreServer
{
    /// <summary>Builds (does not start) the server. Start it with <c>StartAsync</c>, then read <see cref="Address"/>.</summary>
    public static WebApplication Build(ISpecialistService service, ServerSettings settings, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(settings);
        var errors = settings.Validate().Concat(service.Options.Validate()).ToList();
        if (errors.Count > 0)
            throw new CadreException("invalid server settings: " + string.Join("; ", errors));
        var options = service.Options;
        var timeout = settings.RequestTimeout ?? options.RequestTimeout;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args ?? [],
            ApplicationName = typeof(CadreServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(settings.BindAddress(), settings.Port);
            // A backstop above the limit RequestLimits enforces, so that the answer is a 413 problem, not a cut connection.
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes + 64 * 1024;
            kestrel.AddServerHeader = false;
        });
        builder.Logging.SetMinimumLevel(settings.LogLevel);
        // ASP.NET Core's chatter is kept at warnings. Until the server has started, its errors are not logged either: a
        // failed start (a busy port) throws out of StartAsync, and StartListeningAsync reports it in one line, not after
        // a stack trace from Kestrel and one from the host.
        var started = false;
        builder.Logging.AddFilter("Microsoft", level => level >= LogLevel.Warning && (Volatile.Read(ref started) || level < LogLevel.Error));
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = settings.ShutdownTimeout;
            // Second line of defence: a background service that fails anyway is logged by the host, never stops it.
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<JsonOptions>(o => ServerJson.Configure(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ServerState>();
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton(sp => new Throughput(service, sp.GetRequiredService<ServerState>(), sp.GetRequiredService<TimeProvider>(),
                                                           settings.SampleInterval, sp.GetRequiredService<ILogger<Throughput>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Throughput>());
        builder.Services.AddHostedService<DrainOnStop>();

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => Volatile.Write(ref started, true));
        app.UseMiddleware<HttpMetrics>();
        app.UseMiddleware<ErrorHandling>();
        app.UseMiddleware<RequestLimits>(options.MaxBodyBytes, timeout);
        app.UseRouting();

        var v1 = app.MapGroup("/v1");
        var work = v1.MapGroup("").AddEndpointFilter<RefuseWhileDraining>().WithMetadata(WorkEndpoint.Instance);
        PredictEndpoints.Map(work);
        RouteEndpoints.Map(work);
        EmbedEndpoints.Map(work);
        SpecialistEndpoints.Map(v1);
        AdminEndpoints.Map(v1, settings);
        MetricsEndpoints.Map(app, v1);
        HealthEndpoints.Map(app);
        DashboardEndpoints.Map(app);
        app.MapOpenApi();
        return app;
    }

    /// <summary>
    /// Starts the server. A port that cannot be bound (already in use, or not allowed) is a <see cref="CadreException"/>
    /// of one line naming it, not Kestrel's exception.
    /// </summary>
    public static async Task StartListeningAsync(this WebApplication app, CancellationToken cancel)
    {
        var settings = app.Services.GetRequiredService<ServerSettings>();
        try
        {
            await app.StartAsync(cancel);
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            throw new CadreException($"cannot listen on {settings.Host}:{settings.Port}: port {settings.Port} is already in use " +
                                     "(stop what listens there, or choose another port)");
        }
        catch (IOException e) when (e.InnerException is SocketException socket)
        {
            throw new CadreException($"cannot listen on {settings.Host}:{settings.Port}: {socket.Message}");
        }
    }

    /// <summary>
    /// Waits until the server has stopped. True when the stop was asked for (Ctrl-C, SIGTERM, SIGQUIT, or
    /// <paramref name="cancel"/>); false when the server stopped by itself, which its caller reports as a failure.
    /// </summary>
    public static async Task<bool> RunUntilStoppedAsync(this WebApplication app, CancellationToken cancel)
    {
        var asked = 0;
        // Noted only: the host's own console lifetime handles these signals (it cancels the default exit and stops).
        void Asked(PosixSignalContext _) => Volatile.Write(ref asked, 1);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Asked);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Asked);
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Asked);
        await app.WaitForShutdownAsync(cancel);
        return Volatile.Read(ref asked) == 1 || cancel.IsCancellationRequested;
    }

    /// <summary>The address the started server listens on (the real port when <see cref="ServerSettings.Port"/> was 0).</summary>
    public static Uri Address(this WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server has not started");
        return new Uri(first);
    }
}
