using Cadre.Server.Contracts;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cadre.Server.Endpoints;

/// <summary><c>POST /v1/embed</c>: vectors for search and clustering, from the base or through a specialist's adapter.</summary>
internal static class EmbedEndpoints
{
    public static void Map(RouteGroupBuilder work)
    {
        work.MapPost("/embed", async (EmbedRequest body, ISpecialistService service, CancellationToken cancel) =>
            {
                var vectors = await service.EmbedAsync(Inputs.Check(body.Inputs, service.Options), Inputs.Optional(body.Specialist, "specialist"), cancel);
                return new EmbedResponse(vectors, vectors.Length > 0 ? vectors[0].Length : 0);
            })
            .WithName("Embed")
            .WithSummary("Base embeddings of the inputs, or the features a specialist's head sees when \"specialist\" is set.")
            .ProducesWorkProblems();
    }
}
