using System.Text.Json;
using Cadre.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cadre.Server.Hosting;

/// <summary>
/// Turns every failure into a problem-details answer: <see cref="ServingException"/> by its kind (429 with
/// <c>Retry-After</c>), bad JSON and wrong media types by their binding status, other <see cref="CadreException"/>s
/// (user-caused, as everywhere in Cadre) as 400 except a store busy past the lock's wait (503 with <c>Retry-After</c>), anything else as a 500 that names no internals. Empty error
/// answers (unknown route, wrong method) get a problem body too. A client that went away gets nothing: status 499
/// in the metrics, no work wasted on writing.
/// </summary>
internal sealed class ErrorHandling(RequestDelegate next, ILogger<ErrorHandling> log)
{
    /// <summary>The nginx convention for "client closed the request", used in metrics only.</summary>
    public const int ClientClosedRequest = 499;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (context.Response is { StatusCode: >= 400, HasStarted: false, ContentLength: null, ContentType: null })
                await Problems.WriteAsync(context, context.Response.StatusCode, DetailOf(context));
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            context.Response.StatusCode = ClientClosedRequest;
        }
        catch (ServingException e)
        {
            if (e.Kind == ServingErrorKind.NonFiniteOutput)
                log.LogError("refused a non-finite answer to {Method} {Path}: {Detail}", context.Request.Method, context.Request.Path, e.Message);
            var (status, kind) = Problems.Of(e.Kind);
            var retry = e.Kind == ServingErrorKind.Overloaded ? e.RetryAfter ?? TimeSpan.FromSeconds(1)
                      : e.Kind == ServingErrorKind.Unavailable ? e.RetryAfter : null;
            await Problems.WriteAsync(context, status, e.Message, kind, retry);
        }
        catch (BadHttpRequestException e)
        {
            var detail = e.InnerException is JsonException json ? JsonProblems.Describe(context, json) : e.Message;
            await Problems.WriteAsync(context, e.StatusCode, detail);
        }
        catch (Cadre.Store.StoreBusyException e)
        {
            // Another process holds the store past the lock's wait (a long gc): nothing the client did; try again.
            var (status, kind) = Problems.Of(ServingErrorKind.Unavailable);
            await Problems.WriteAsync(context, status, e.Message, kind, TimeSpan.FromSeconds(5));
        }
        catch (CadreException e)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message);
        }
        catch (Exception e)
        {
            log.LogError(e, "unexpected error answering {Method} {Path}", context.Request.Method, context.Request.Path);
            await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError,
                "an unexpected error occurred; the server log has the details");
        }
    }

    private static string DetailOf(HttpContext context) => context.Response.StatusCode switch
    {
        404 => $"no resource at {context.Request.Path}",
        405 => $"{context.Request.Method} is not allowed on {context.Request.Path}",
        415 => "send the body as application/json",
        _ => Problems.Title(context.Response.StatusCode),
    };
}
