using Cadre.Server.Contracts;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cadre.Server.Endpoints;

/// <summary><c>GET /v1/specialists</c> and <c>GET /v1/specialists/{name}</c>: what can be served, and one specialist's history.</summary>
internal static class SpecialistEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/specialists", (ISpecialistService service) =>
                new SpecialistListResponse([.. service.List().Select(Mapping.Specialist)]))
            .WithName("ListSpecialists")
            .WithSummary("Every registered specialist, loaded or not, with its pool status and metrics.");

        v1.MapGet("/specialists/{name}", (string name, ISpecialistService service) => Mapping.Detail(service.Describe(name)))
            .WithName("DescribeSpecialist")
            .WithSummary("One specialist: status, labels, versions and (for merged specialists) lineage.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
