using System.Globalization;
using Cadre.Serving;

namespace Cadre.Server.Endpoints;

/// <summary>
/// The checks every text-taking endpoint makes before the service sees a request: at least one input, none null,
/// at most <see cref="ServingOptions.MaxInputs"/> of them (413) and each at most <see cref="ServingOptions.MaxInputChars"/>
/// characters (413). The engine may check again; the server never relies on it.
/// </summary>
internal static class Inputs
{
    public static IReadOnlyList<string> Check(IReadOnlyList<string>? inputs, ServingOptions options)
    {
        var ci = CultureInfo.InvariantCulture;
        if (inputs is null)
            throw new ServingException(ServingErrorKind.BadRequest, "the body needs \"inputs\": an array of texts");
        if (inputs.Count == 0)
            throw new ServingException(ServingErrorKind.BadRequest, "\"inputs\" is empty; send at least one text");
        if (inputs.Count > options.MaxInputs)
            throw new ServingException(ServingErrorKind.TooLarge,
                string.Create(ci, $"{inputs.Count} inputs is over the limit of {options.MaxInputs} per request"));
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null)
                throw new ServingException(ServingErrorKind.BadRequest, string.Create(ci, $"inputs[{i}] is null; every input must be a string"));
            if (inputs[i].Length > options.MaxInputChars)
                throw new ServingException(ServingErrorKind.TooLarge,
                    string.Create(ci, $"inputs[{i}] has {inputs[i].Length} characters, over the limit of {options.MaxInputChars}"));
        }
        return inputs;
    }

    /// <summary>An optional name field: absent or a non-blank string.</summary>
    public static string? Optional(string? value, string field) =>
        value is null ? null
        : string.IsNullOrWhiteSpace(value) ? throw new ServingException(ServingErrorKind.BadRequest, $"\"{field}\" must not be blank; leave it out instead")
        : value;
}
