using System.Net;
using Microsoft.Extensions.Logging;

namespace Cadre.Server;

/// <summary>
/// Where and how the HTTP server listens. The serving engine's own limits (batch, queue, body and input sizes, request
/// timeout) live in <see cref="Serving.ServingOptions"/>; these are the settings only the HTTP layer has.
/// </summary>
public sealed record ServerSettings
{
    /// <summary>The environment variable that holds the admin bearer token when none is given.</summary>
    public const string AdminTokenVariable = "CADRE_ADMIN_TOKEN";

    /// <summary>An IP address (127.0.0.1, ::1, 0.0.0.0, ::) or <c>localhost</c>. Default 127.0.0.1: never public by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks any free one (read the bound address with <see cref="CadreServer.Address"/> after start).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>
    /// The bearer token of the admin endpoints (load, unload). Default: <c>CADRE_ADMIN_TOKEN</c>. When null or empty, the
    /// admin endpoints answer 401 to everyone: they are never open by default.
    /// </summary>
    public string? AdminToken { get; init; } = Environment.GetEnvironmentVariable(AdminTokenVariable) is { Length: > 0 } token ? token : null;

    /// <summary>Overrides <see cref="Serving.ServingOptions.RequestTimeout"/> for the HTTP deadline when set.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>How long a stop waits for draining and in-flight requests before it cuts connections.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Log level of the server's own log lines (ASP.NET Core's chatter is kept at warnings).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>
    /// How often the throughput sampler reads the counters (default one second); rates are per second whatever the
    /// interval. Tests sample often to meet races sooner.
    /// </summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(1);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!IsLocalhost(Host) && !IPAddress.TryParse(Host, out _))
            errors.Add($"host '{Host}' must be an IP address or localhost");
        if (Port is < 0 or > 65535)
            errors.Add($"port {Port} must be between 0 and 65535");
        if (RequestTimeout is { } t && t <= TimeSpan.Zero)
            errors.Add("request timeout must be positive");
        if (ShutdownTimeout < TimeSpan.Zero)
            errors.Add("shutdown timeout must not be negative");
        if (SampleInterval < TimeSpan.FromMilliseconds(1) || SampleInterval > TimeSpan.FromMinutes(1))
            errors.Add("sample interval must be between 1 ms and 1 minute");
        return errors;
    }

    internal static bool IsLocalhost(string host) => string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>The address Kestrel binds: localhost means the IPv4 loopback, so that port 0 works.</summary>
    internal IPAddress BindAddress() => IsLocalhost(Host) ? IPAddress.Loopback : IPAddress.Parse(Host);
}
