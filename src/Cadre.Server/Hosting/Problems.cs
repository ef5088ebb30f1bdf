using System.Globalization;
using System.Text.Json;
using Cadre.Serving;
using Microsoft.AspNetCore.Http;

namespace Cadre.Server.Hosting;

/// <summary>
/// RFC 7807 problem details: every error the server answers has this body, <c>application/problem+json</c>, with a
/// stable <c>type</c> per kind (<c>urn:cadre:problem:KIND</c>) so clients branch on it rather than on titles.
/// </summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    public static (int Status, string Kind) Of(ServingErrorKind kind) => kind switch
    {
        ServingErrorKind.BadRequest => (StatusCodes.Status400BadRequest, "bad-request"),
        ServingErrorKind.NotFound => (StatusCodes.Status404NotFound, "not-found"),
        ServingErrorKind.TooLarge => (StatusCodes.Status413PayloadTooLarge, "too-large"),
        ServingErrorKind.Overloaded => (StatusCodes.Status429TooManyRequests, "overloaded"),
        ServingErrorKind.Timeout => (StatusCodes.Status504GatewayTimeout, "timeout"),
        ServingErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "unavailable"),
        ServingErrorKind.NonFiniteOutput => (StatusCodes.Status500InternalServerError, "non-finite-output"),
        _ => (StatusCodes.Status500InternalServerError, "internal"),
    };

    /// <summary>The kind name of a bare status (unknown route, wrong method, wrong media type...).</summary>
    public static string KindOf(int status) => status switch
    {
        400 => "bad-request", 401 => "unauthorized", 403 => "forbidden", 404 => "not-found", 405 => "method-not-allowed",
        406 => "not-acceptable", 408 => "timeout", 413 => "too-large", 415 => "unsupported-media-type", 429 => "overloaded",
        503 => "unavailable", 504 => "timeout", _ => status >= 500 ? "internal" : "error",
    };

    public static string Title(int status) => status switch
    {
        400 => "Bad request", 401 => "Unauthorized", 403 => "Forbidden", 404 => "Not found", 405 => "Method not allowed",
        406 => "Not acceptable", 408 => "Request timeout", 413 => "Payload too large", 415 => "Unsupported media type",
        429 => "Too many requests", 500 => "Internal server error", 503 => "Service unavailable", 504 => "Request timed out",
        _ => $"HTTP {status}",
    };

    /// <summary>Writes the problem unless the response has already started (then nothing can be said).</summary>
    public static async Task WriteAsync(HttpContext context, int status, string detail, string? kind = null, TimeSpan? retryAfter = null,
                                        string? authenticate = null)
    {
        var response = context.Response;
        if (response.HasStarted)
            return;
        response.Clear();
        response.StatusCode = status;
        if (retryAfter is { } wait)
            response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        if (authenticate is not null)
            response.Headers.WWWAuthenticate = authenticate;
        response.ContentType = ContentType;
        var body = new Dictionary<string, object?>
        {
            ["type"] = $"urn:cadre:problem:{kind ?? KindOf(status)}",
            ["title"] = Title(status),
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = context.Request.Path.Value,
        };
        // Not the cancellation token of the request: a timed-out request still gets its 504 written.
        await JsonSerializer.SerializeAsync(response.Body, body, options: (JsonSerializerOptions?)null, CancellationToken.None);
    }
}
