using Cadre.Server.Contracts;
using Cadre.Server.Hosting;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cadre.Server.Endpoints;

/// <summary>
/// <c>/healthz</c>: the process answers (liveness). <c>/readyz</c>: it can take work (readiness): 503 while draining for
/// shutdown or when the service says it has nothing to serve, so a load balancer stops sending before the stop.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => new HealthResponse("ok"))
            .WithName("Health").WithSummary("Liveness: 200 while the process runs.");

        app.MapGet("/readyz", (ISpecialistService service, ServerState state) =>
            {
                if (state.Draining)
                    throw new ServingException(ServingErrorKind.Unavailable, "draining for shutdown");
                _ = service.Stats(); // throws Unavailable when the engine cannot serve
                return new HealthResponse("ready");
            })
            .WithName("Ready").WithSummary("Readiness: 200 when the server takes work, 503 while draining or unable to serve.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }
}
