using System.Net;

namespace Cadre.Hub;

/// <summary>
/// The Hub's refusals as one line each, read as huggingface_hub reads them: the <c>X-Error-Code</c> header first
/// (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo), then the status. A 401 is what the Hub answers for a
/// private repository, a gated one and a missing one alike when no valid token comes with the request, so its line
/// names all three and says what to do about each.
/// </summary>
internal static class HubErrors
{
    public const string InvalidCredentials = "Invalid credentials in Authorization header";

    /// <param name="what">the request in words: "revision main", "file config.json at 0123abcd"</param>
    /// <param name="revision">the revision asked for, named when the Hub says it does not exist</param>
    public static CadreException From(HttpResponseMessage response, HubRepoId repo, string endpoint, bool sentToken, string what, string? revision = null)
    {
        var code = Header(response, "X-Error-Code");
        var message = Header(response, "X-Error-Message");
        var status = (int)response.StatusCode;
        var page = $"{endpoint}/{repo}";
        var line = code switch
        {
            "GatedRepo" => sentToken
                ? $"{repo} is gated and the account of HF_TOKEN has not been granted access: accept its licence at {page} while logged in as that account (some are reviewed by the authors), then pull again"
                : $"{repo} is gated: accept its licence at {page} while logged in, create a read token at {endpoint}/settings/tokens, set HF_TOKEN to it, then pull again",
            "RevisionNotFound" => $"{repo} has no revision '{CadreException.Shown(revision ?? what)}' (a branch, tag or commit of {page}/tree/main)",
            "EntryNotFound" => $"{repo}: {what} is not in the repository",
            _ when status == 401 && message == InvalidCredentials =>
                $"the Hub did not accept the token in HF_TOKEN (401: {message}): it may be mistyped, expired or revoked; make a new one at {endpoint}/settings/tokens",
            "RepoNotFound" or null when status is 401 => sentToken
                ? $"{repo}: 401 from the Hub: no model repository of that id that the account of HF_TOKEN can read (check the id at {page}; a private repository needs a token with read access to it)"
                : $"{repo}: 401 from the Hub: no public model repository of that id; if it is private or gated, set HF_TOKEN to a read token ({endpoint}/settings/tokens), otherwise check the id at {page}",
            "RepoNotFound" => $"{repo}: no such model repository on {endpoint} ({status}){(sentToken ? "" : "; if it is private, set HF_TOKEN")}",
            _ when status == 403 => sentToken
                ? $"{repo}: 403 from the Hub: the token in HF_TOKEN may not read this repository (a fine-grained token needs read access to it){Detail(message)}"
                : $"{repo}: 403 from the Hub{Detail(message)}",
            _ when status == 404 => $"{repo}: 404 from the Hub for {what} (no such repository, revision or file on {endpoint})",
            _ when status == 429 => $"{repo}: the Hub is limiting requests (429); wait a few minutes{(sentToken ? "" : " or set HF_TOKEN (signed-in users get a higher limit)")}, then pull again",
            _ when status >= 500 => $"{repo}: the Hub failed to answer ({status} {response.ReasonPhrase}) for {what}; try again later, or set HF_HUB_OFFLINE=1 to use the cache",
            _ => $"{repo}: the Hub answered {status} {response.ReasonPhrase} for {what}{Detail(message)}",
        };
        return new CadreException(line);
    }

    /// <summary>The line for a Hub that cannot be reached at all (DNS, refused connection, TLS, timeout).</summary>
    public static CadreException Unreachable(string endpoint, Exception error) =>
        new($"cannot reach the Hugging Face Hub at {endpoint} ({Reason(error)}); check the network (or HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use only what is cached", error);

    /// <summary>True for errors that mean "no answer" rather than an answer we dislike.</summary>
    public static bool IsUnreachable(Exception e) =>
        e is HttpRequestException { StatusCode: null } or TimeoutException or TaskCanceledException { InnerException: TimeoutException }
        || e is IOException && e.InnerException is System.Net.Sockets.SocketException;

    public static string Reason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is System.Net.Sockets.SocketException socket)
                return socket.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused ? "connection refused" : socket.Message;
        return e is TaskCanceledException or TimeoutException ? "no answer in time" : e.Message;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string Detail(string? message) => message is { Length: > 0 } ? $": {CadreException.Shown(message)}" : "";

    public static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;
}
