using Cadre.Server.Contracts;
using Cadre.Server.Hosting;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Cadre.Server.Endpoints;

/// <summary>
/// Admin, behind the bearer token: <c>PUT /v1/specialists/{name}</c> loads (or hot-reloads) a version while requests
/// in flight finish on the old one; <c>DELETE /v1/specialists/{name}</c> drops it from the pool (it stays registered).
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(RouteGroupBuilder v1, ServerSettings settings)
    {
        var admin = v1.MapGroup("/specialists").AddEndpointFilter(new AdminAuth(settings.AdminToken));

        admin.MapPut("/{name}", async (string name, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] LoadRequest? body,
                                      ISpecialistService service, CancellationToken cancel) =>
                Mapping.Specialist(await service.LoadAsync(name, Inputs.Optional(body?.Version, "version"), cancel)))
            .WithName("LoadSpecialist")
            .WithSummary("Load or hot-reload a version (HEAD when no \"version\" is given). Needs the admin token.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapDelete("/{name}", (string name, ISpecialistService service) =>
            {
                if (service.Status(name) is null)
                    throw new ServingException(ServingErrorKind.NotFound, $"no specialist '{name}'");
                return new UnloadResponse(name, service.Unload(name));
            })
            .WithName("UnloadSpecialist")
            .WithSummary("Drop a specialist from the pool; \"unloaded\" is false when it was not loaded. Needs the admin token.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
