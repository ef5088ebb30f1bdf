using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Cadre.Tests.Hub;

/// <summary>
/// The stand-in Hub's routes, parsed from the raw request target (a revision such as <c>refs%2Fpr%2F1</c> arrives
/// escaped, as huggingface_hub sends it):
/// <code>
/// GET       /api/models/REPO/revision/REV            {"id", "sha", "private", "gated", "siblings": [{"rfilename"}]}
/// GET       /api/models/REPO/tree/REV[/PATH]         [{"type", "path", "size", "oid", "lfs"?}], Link: rel="next"
/// POST      /api/models/REPO/paths-info/REV          the tree entries of the paths in {"paths": [...]}
/// HEAD|GET  /REPO/resolve/REV/PATH                   302 to the CDN for an LFS file; 307 to resolve-cache for another
///                                                    file of a public ORG/NAME repository; else the file itself
/// HEAD|GET  /api/resolve-cache/models/REPO/COMMIT/PATH   the file, at the commit the redirect pinned
/// HEAD|GET  CDN /lfs/SHA256?sig=...                  the LFS content (no Authorization header allowed)
/// </code>
/// The relative 307 is what huggingface.co answers for small files (huggingface_hub issue 4815): a client follows
/// it for the HEAD and downloads from where it leads.
/// </summary>
internal static class HubStandInRoutes
{
    private static readonly string Secret = Guid.NewGuid().ToString("N");

    public static async Task Handle(HubStandIn hub, HttpContext context)
    {
        var request = context.Request;
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var path = raw.Split('?')[0];
        var isCdn = context.Connection.LocalPort == new Uri(hub.CdnEndpoint).Port;
        var authorization = request.Headers.Authorization.ToString();
        hub.Requests.Enqueue(new HubStandIn.Request(request.Method, Uri.UnescapeDataString(path), request.Headers.Range.ToString() is { Length: > 0 } r ? r : null,
            authorization.Length > 0, isCdn));
        var segments = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        if (isCdn)
        {
            await Cdn(hub, context, segments, authorization);
            return;
        }
        var token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization[7..] : null;
        if (authorization.Length > 0 && (token is null || !hub.Tokens.Contains(token)))
        {
            await Error(context, 401, null, "Invalid credentials in Authorization header");
            return;
        }
        if (segments is ["api", "models", .. var rest])
            await Api(hub, context, rest, token);
        else if (segments is ["api", "resolve-cache", "models", .. var cached] && Array.FindIndex(cached, IsCommit) is var c and (1 or 2) && cached.Length > c + 1)
            await Resolve(hub, context, string.Join('/', cached[..c]), cached[c], string.Join('/', cached[(c + 1)..]), token, pinned: true);
        else if (Array.IndexOf(segments, "resolve") is var at and (1 or 2) && segments.Length > at + 2)
            await Resolve(hub, context, string.Join('/', segments[..at]), segments[at + 1], string.Join('/', segments[(at + 2)..]), token);
        else
            await Error(context, 404, null, "Not Found");
    }

    private static async Task Api(HubStandIn hub, HttpContext context, string[] rest, string? token)
    {
        var at = Array.FindIndex(rest, s => s is "revision" or "tree" or "paths-info");
        if (at is not (1 or 2) || rest.Length < at + 2)
        {
            await Error(context, 404, null, "Not Found");
            return;
        }
        var (repository, commit) = await Find(hub, context, string.Join('/', rest[..at]), rest[at + 1], token, gatedFiles: false);
        if (repository is null || commit is null)
            return;
        var files = repository.Files(commit);
        switch (rest[at])
        {
            case "revision":
                await Json(context, new JsonObject
                {
                    ["_id"] = repository.Id.GetHashCode().ToString("x8", CultureInfo.InvariantCulture), ["id"] = repository.Id, ["modelId"] = repository.Id,
                    ["sha"] = commit, ["private"] = repository.Private, ["gated"] = repository.Gated ? "auto" : false, ["disabled"] = false,
                    ["lastModified"] = "2025-01-01T00:00:00.000Z", ["downloads"] = 0, ["likes"] = 0, ["tags"] = new JsonArray(),
                    ["siblings"] = new JsonArray([.. files.Keys.Order(StringComparer.Ordinal).Select(f => (JsonNode)new JsonObject { ["rfilename"] = f })]),
                });
                break;
            case "tree":
                await Tree(hub, context, repository, commit, string.Join('/', rest[(at + 2)..]));
                break;
            default:
                using (var body = await JsonDocument.ParseAsync(context.Request.Body))
                {
                    var wanted = body.RootElement.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToHashSet(StringComparer.Ordinal);
                    await Json(context, new JsonArray([.. files.Values.Where(f => wanted.Contains(f.Path)).Select(f => (JsonNode)Entry(f))]));
                }
                break;
        }
    }

    private static async Task Tree(HubStandIn hub, HttpContext context, StandInRepository repository, string commit, string folder)
    {
        var query = context.Request.Query;
        var recursive = query["recursive"].ToString() is "true" or "True" or "1";
        var prefix = folder.Length == 0 ? "" : folder + "/";
        var files = repository.Files(commit).Values.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var folders = files.SelectMany(f => Parents(f.Path[prefix.Length..]).Select(p => prefix + p)).Distinct();
        var entries = files.Select(f => (f.Path, Node: Entry(f)))
            .Concat(folders.Select(d => (Path: d, Node: new JsonObject { ["type"] = "directory", ["oid"] = StandInFile.GitBlobId(Encoding.UTF8.GetBytes(d)), ["size"] = 0, ["path"] = d })))
            .Where(e => recursive || !e.Path[prefix.Length..].Contains('/'))
            .OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var cursor = int.TryParse(query["cursor"], out var c) ? c : 0;
        var page = entries.Skip(cursor).Take(hub.PageSize).ToList();
        if (cursor + hub.PageSize < entries.Count)
        {
            var next = $"{hub.Endpoint}/api/models/{repository.Id}/tree/{commit}{(folder.Length > 0 ? "/" + folder : "")}?recursive={(recursive ? "true" : "false")}&expand=false&cursor={cursor + hub.PageSize}";
            context.Response.Headers["Link"] = $"<{next}>; rel=\"next\"";
        }
        await Json(context, new JsonArray([.. page.Select(e => (JsonNode)e.Node)]));
    }

    private static bool IsCommit(string segment) => segment.Length == 40 && segment.All(char.IsAsciiHexDigitLower);

    private static async Task Resolve(HubStandIn hub, HttpContext context, string id, string revision, string path, string? token, bool pinned = false)
    {
        var (repository, commit) = await Find(hub, context, id, revision, token, gatedFiles: true);
        if (repository is null || commit is null)
            return;
        var response = context.Response;
        response.Headers["X-Repo-Commit"] = commit;
        if (!repository.Files(commit).TryGetValue(path, out var file))
        {
            await Error(context, 404, "EntryNotFound", "Entry not found");
            return;
        }
        if (file.Lfs)
        {
            response.StatusCode = 302;
            response.Headers["X-Linked-Etag"] = $"\"{file.Sha256}\"";
            response.Headers["X-Linked-Size"] = file.Content.Length.ToString(CultureInfo.InvariantCulture);
            response.Headers.ETag = $"\"{file.Oid}\"";
            response.Headers.Location = $"{hub.CdnEndpoint}/lfs/{file.Sha256}?sig={Signature(file.Sha256)}";
            return;
        }
        response.Headers.ETag = $"\"{file.Oid}\"";
        if (!pinned && !repository.Private && !repository.Gated && id.Contains('/') && file.Content.Length > 0)
        {
            response.StatusCode = 307;
            response.Headers.Location = $"/api/resolve-cache/models/{id}/{commit}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}?etag=%22{file.Oid}%22";
            return;
        }
        await Content(hub, context, file);
    }

    private static async Task Cdn(HubStandIn hub, HttpContext context, string[] segments, string authorization)
    {
        if (authorization.Length > 0)
        {
            await Error(context, 400, null, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified");
            return;
        }
        var file = segments is ["lfs", var sha] && context.Request.Query["sig"] == Signature(sha)
            ? hub.Repositories.Values.Select(r => r.BySha256(sha)).FirstOrDefault(f => f is not null) : null;
        if (file is null)
        {
            await Error(context, 403, null, "Access Denied");
            return;
        }
        context.Response.Headers.ETag = $"\"{file.Sha256}\"";
        context.Response.Headers["X-Cache"] = "Miss from cloudfront";
        await Content(hub, context, file);
    }

    /// <summary>The file's bytes with Range support (206, 416), and the armed faults.</summary>
    private static async Task Content(HubStandIn hub, HttpContext context, StandInFile file)
    {
        var response = context.Response;
        var content = hub.Damaged.ContainsKey(file.Path) ? Damage(file.Content) : file.Content;
        long total = content.Length, from = 0, to = total - 1;
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = file.Path.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream";
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range)
        {
            if (!TryRange(range, total, out from, out to))
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{total}";
                return;
            }
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {from}-{to}/{total}";
        }
        response.ContentLength = to - from + 1;
        if (HttpMethods.IsHead(context.Request.Method))
            return;
        var length = to - from + 1;
        if (hub.Cuts.TryGetValue(file.Path, out var cut) && cut.Times > 0 && from < cut.Bytes)
        {
            hub.Cuts[file.Path] = (cut.Bytes, cut.Times - 1);
            await response.Body.WriteAsync(content.AsMemory((int)from, (int)(cut.Bytes - from)));
            await response.Body.FlushAsync();
            // The connection drops mid-body. A moment first: an abort drops what Kestrel has not yet handed to the
            // socket (a flush only hands it to Kestrel's own pipe); once sent, the client's system keeps it readable.
            await Task.Delay(TimeSpan.FromSeconds(1));
            context.Abort();
            return;
        }
        await response.Body.WriteAsync(content.AsMemory((int)from, (int)length));
    }

    /// <summary>Whether a model's file may be read: null when it may, else the refusal already sent.</summary>
    private static async Task<(StandInRepository?, string?)> Find(HubStandIn hub, HttpContext context, string id, string revision, string? token, bool gatedFiles)
    {
        if (!hub.Repositories.TryGetValue(id, out var repository) || repository.Private && token is null)
        {
            // Without a token the Hub answers 401 for a private repository and a missing one alike.
            await Error(context, token is null ? 401 : 404, "RepoNotFound", "Repository not found");
            return (null, null);
        }
        if (gatedFiles && repository.Gated && (token is null || !repository.Granted.Contains(token)))
        {
            await Error(context, token is null ? 401 : 403, "GatedRepo", $"Access to model {id} is restricted. You must have access to it and be authenticated to access it. Please log in.");
            return (null, null);
        }
        if (repository.Resolve(revision) is not { } commit)
        {
            await Error(context, 404, "RevisionNotFound", $"Invalid rev id: {revision}");
            return (null, null);
        }
        return (repository, commit);
    }

    private static JsonObject Entry(StandInFile f)
    {
        var entry = new JsonObject { ["type"] = "file", ["oid"] = f.Oid, ["size"] = f.Content.Length, ["path"] = f.Path };
        if (f.Lfs)
            entry["lfs"] = new JsonObject { ["oid"] = f.Sha256, ["size"] = f.Content.Length, ["pointerSize"] = Encoding.ASCII.GetByteCount(f.Pointer) };
        return entry;
    }

    private static IEnumerable<string> Parents(string relative)
    {
        for (var i = relative.IndexOf('/'); i >= 0; i = relative.IndexOf('/', i + 1))
            yield return relative[..i];
    }

    private static bool TryRange(string header, long total, out long from, out long to)
    {
        (from, to) = (0, total - 1);
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(','))
            return false;
        var parts = header[6..].Split('-');
        if (parts.Length != 2)
            return false;
        if (parts[0].Length == 0) // the last N bytes
            return long.TryParse(parts[1], out var n) && n > 0 && (from = Math.Max(0, total - n)) >= 0;
        if (!long.TryParse(parts[0], out from) || from >= total)
            return false;
        to = parts[1].Length == 0 ? total - 1 : long.TryParse(parts[1], out var end) ? Math.Min(end, total - 1) : -1;
        return to >= from;
    }

    private static byte[] Damage(byte[] content)
    {
        var copy = (byte[])content.Clone();
        copy[copy.Length / 2] ^= 0x5a;
        return copy;
    }

    private static string Signature(string sha) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(Secret + sha)))[..32];

    private static async Task Json(HttpContext context, JsonNode node)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(node.ToJsonString());
    }

    private static async Task Error(HttpContext context, int status, string? code, string message)
    {
        context.Response.StatusCode = status;
        if (code is not null)
            context.Response.Headers["X-Error-Code"] = code;
        context.Response.Headers["X-Error-Message"] = message;
        await Json(context, new JsonObject { ["error"] = message });
    }
}
