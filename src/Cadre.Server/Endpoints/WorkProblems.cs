using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cadre.Server.Endpoints;

/// <summary>The problems every work endpoint (predict, route, ask, embed) may answer, declared once for OpenAPI.</summary>
internal static class WorkProblems
{
    public static RouteHandlerBuilder ProducesWorkProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status504GatewayTimeout);
}
