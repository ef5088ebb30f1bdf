using System.Security.Cryptography;
using System.Text;
using Cadre.Serving;
using Microsoft.AspNetCore.Http;

namespace Cadre.Server.Hosting;

/// <summary>
/// The admin endpoints' guard: <c>Authorization: Bearer TOKEN</c> must match the configured token, compared in
/// constant time (over SHA-256 digests, so the length leaks nothing either). Without a configured token every admin
/// request is refused: hot reload and unload are never open by default.
/// </summary>
internal sealed class AdminAuth(string? token) : IEndpointFilter
{
    private readonly byte[]? _expected = token is { Length: > 0 } ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_expected is null)
            return await Refuse(http, $"admin endpoints are disabled: start the server with {ServerSettings.AdminTokenVariable} set");
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return await Refuse(http, "send Authorization: Bearer <admin token>");
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
            return await Refuse(http, "the admin token is wrong");
        return await next(context);
    }

    private static async Task<object?> Refuse(HttpContext http, string detail)
    {
        await Problems.WriteAsync(http, StatusCodes.Status401Unauthorized, detail, "unauthorized", authenticate: "Bearer");
        return Results.Empty;
    }
}

/// <summary>New work is refused with 503 once the server drains; what already runs finishes.</summary>
internal sealed class RefuseWhileDraining(ServerState state) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        state.Draining
            ? throw new ServingException(ServingErrorKind.Unavailable, "the server is draining for shutdown", TimeSpan.FromSeconds(5))
            : next(context);
}
