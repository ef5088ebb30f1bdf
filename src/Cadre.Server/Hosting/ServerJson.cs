using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cadre.Server.Hosting;

/// <summary>
/// The API's JSON: snake_case member names, enums as snake_case strings, and unknown members refused (a misspelt
/// <c>"input"</c> is a 400 that names it, not a silently empty request), and so are duplicate members (two
/// <c>"inputs"</c>: which one would count is a guess). Dictionary keys are data and stay as they are.
/// <see cref="JsonProblems"/> words these refusals in the API's terms.
/// </summary>
internal static class ServerJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.AllowDuplicateProperties = false;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    }
}
