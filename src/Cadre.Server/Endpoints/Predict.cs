using Cadre.Server.Contracts;
using Cadre.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cadre.Server.Endpoints;

/// <summary><c>POST /v1/specialists/{name}/predict</c>: every task's predictions of one specialist.</summary>
internal static class PredictEndpoints
{
    public static void Map(RouteGroupBuilder work)
    {
        work.MapPost("/specialists/{name}/predict", async (string name, PredictRequest body, ISpecialistService service, CancellationToken cancel) =>
            {
                var inputs = Inputs.Check(body.Inputs, service.Options);
                var tasks = await service.PredictAsync(name, inputs, Inputs.Optional(body.Task, "task"), cancel);
                var shaped = tasks.Select(Mapping.Task).ToList();
                var status = service.Status(name);
                return new PredictResponse(name, status?.LoadedVersion ?? status?.Version, shaped, shaped.Count == 1 ? shaped[0].Predictions : null);
            })
            .WithName("Predict")
            .WithSummary("Predict with one specialist: every task it answers, or the one named by \"task\".")
            .ProducesWorkProblems();
    }
}
