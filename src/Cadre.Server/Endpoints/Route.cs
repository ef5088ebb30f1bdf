using Cadre.Server.Contracts;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cadre.Server.Endpoints;

/// <summary><c>POST /v1/route</c> (which specialist, or abstain) and <c>POST /v1/ask</c> (route, then predict).</summary>
internal static class RouteEndpoints
{
    public static void Map(RouteGroupBuilder work)
    {
        work.MapPost("/route", async (RouteRequest body, ISpecialistService service, CancellationToken cancel) =>
            {
                var decisions = await service.RouteAsync(Inputs.Check(body.Inputs, service.Options), Inputs.Optional(body.Router, "router"), cancel);
                return new RouteResponse([.. decisions.Select(Mapping.Route)]);
            })
            .WithName("Route")
            .WithSummary("Choose the specialist for each input (null when the router abstains), with every specialist's score.")
            .ProducesWorkProblems();

        work.MapPost("/ask", async (RouteRequest body, ISpecialistService service, CancellationToken cancel) =>
            {
                var answers = await service.AskAsync(Inputs.Check(body.Inputs, service.Options), Inputs.Optional(body.Router, "router"), cancel);
                return new AskResponse([.. answers.Select(Mapping.Answer)]);
            })
            .WithName("Ask")
            .WithSummary("Route each input, then predict it with the chosen specialist (no prediction when abstained).")
            .ProducesWorkProblems();
    }
}
