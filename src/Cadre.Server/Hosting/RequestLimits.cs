using System.Globalization;
using Cadre.Serving;
using Microsoft.AspNetCore.Http;

namespace Cadre.Server.Hosting;

/// <summary>
/// Bounds every request: the body is read into memory up to <see cref="ServingOptions.MaxBodyBytes"/> (413 beyond,
/// declared or chunked, before any JSON is parsed), and the request's cancellation token is replaced by one linked to
/// the client's connection and the request timeout, so that endpoints pass one token to the service and both a
/// client that disconnects and a deadline stop the work. A deadline that fires answers 504.
/// </summary>
internal sealed class RequestLimits(RequestDelegate next, long maxBodyBytes, TimeSpan timeout)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(timeout);
        context.RequestAborted = deadline.Token;
        try
        {
            if (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method))
                await BufferBodyAsync(context, deadline.Token);
            await next(context);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            throw new ServingException(ServingErrorKind.Timeout,
                string.Create(CultureInfo.InvariantCulture, $"the request ran past its {timeout.TotalSeconds:0.###} s timeout"));
        }
        finally
        {
            context.RequestAborted = aborted;
        }
    }

    private async Task BufferBodyAsync(HttpContext context, CancellationToken cancel)
    {
        var request = context.Request;
        if (request.ContentLength > maxBodyBytes)
            throw TooLarge();
        var buffer = new MemoryStream(request.ContentLength is { } n ? (int)n : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > maxBodyBytes)
                throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        request.Body = buffer;
        request.ContentLength = buffer.Length;
    }

    private ServingException TooLarge() => new(ServingErrorKind.TooLarge,
        string.Create(CultureInfo.InvariantCulture, $"the request body is over {maxBodyBytes} bytes"));
}
