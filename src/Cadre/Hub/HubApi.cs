using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Cadre.Hub;

/// <summary>What a HEAD on <c>/ORG/NAME/resolve/COMMIT/PATH</c> says about a file.</summary>
/// <param name="Location">where to GET the content: the CDN address the Hub redirects an LFS file to, else the resolve address</param>
public sealed record HubFileMetadata(string Commit, string Etag, long Size, Uri Location);

/// <summary>
/// The Hub's HTTP API as huggingface_hub uses it: <c>GET /api/models/REPO/revision/REV</c> (the commit of a branch,
/// tag or commit), <c>GET /api/models/REPO/tree/COMMIT?recursive=true</c> (the files, pages chained by
/// <c>Link: rel="next"</c>), <c>HEAD /REPO/resolve/COMMIT/PATH</c> (X-Repo-Commit, X-Linked-Etag or ETag,
/// X-Linked-Size or Content-Length; a redirect to the CDN for LFS files, not followed) and the GET of the content,
/// from an offset when resuming. Redirects are followed by hand, as huggingface_hub follows them: a HEAD follows
/// those that stay on the Hub (relative ones: a renamed repository, or the commit-pinned <c>/api/resolve-cache/</c>
/// address huggingface.co gives small files; absolute ones to the endpoint's host or huggingface.co, from a mirror)
/// and stops at any other host, the CDN, whose signed address the GET then uses. The token goes to Hub hosts only.
/// </summary>
public sealed class HubApi : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _client;
    private readonly HubSettings _settings;
    private readonly Uri _endpoint;

    public HubApi(HubSettings settings, HubRepoId repo)
    {
        _settings = settings;
        Repo = repo;
        _endpoint = new Uri(settings.Endpoint + "/");
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = settings.Timeout, AutomaticDecompression = DecompressionMethods.None };
        // No overall timeout: a large file takes as long as it takes; each read has its own deadline (see Download).
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("cadre/1.0");
    }

    public HubRepoId Repo { get; }

    /// <summary>The commit a revision (branch, tag or commit) is at.</summary>
    public string ResolveCommit(string revision, CancellationToken cancel)
    {
        using var response = Send(HttpMethod.Get, Api($"revision/{Uri.EscapeDataString(revision)}"), followAll: false, cancel);
        Require(response, $"revision {revision}", revision);
        using var json = ReadJson(response, cancel);
        return json.RootElement.TryGetProperty("sha", out var sha) && sha.GetString() is { } commit && HubCache.IsCommit(commit)
            ? commit
            : throw new CadreException($"{Repo}: the Hub's answer for revision {revision} has no commit (\"sha\"); is HF_ENDPOINT ({_settings.Endpoint}) a Hugging Face Hub?");
    }

    /// <summary>Every file of the repository at <paramref name="commit"/>, all pages.</summary>
    public IReadOnlyList<HubFile> ListFiles(string commit, CancellationToken cancel)
    {
        var files = new List<HubFile>();
        Uri? page = Api($"tree/{commit}?recursive=true&expand=false");
        for (var pages = 0; page is not null; pages++)
        {
            if (pages > 10_000)
                throw new CadreException($"{Repo}: the Hub's file list does not end (over 10,000 pages)");
            using var response = Send(HttpMethod.Get, page, followAll: false, cancel);
            Require(response, $"the file list at {commit}");
            using (var json = ReadJson(response, cancel))
                files.AddRange(HubTree.Files(json.RootElement, Repo));
            page = HubTree.NextPage(response, page);
        }
        return files;
    }

    /// <summary>The HEAD of a file at a commit: its ETag, size, and where its content is.</summary>
    public HubFileMetadata Head(string commit, string path, CancellationToken cancel)
    {
        using var response = Send(HttpMethod.Head, Resolve(commit, path), followAll: false, cancel);
        if (!response.IsSuccessStatusCode && !HubErrors.IsRedirect(response.StatusCode))
            Require(response, $"file {path} at {commit[..12]}");
        string? Get(string name) => response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault()
            : response.Content.Headers.TryGetValues(name, out var c) ? c.FirstOrDefault() : null;
        var etag = Get("X-Linked-Etag") ?? Get("ETag");
        var size = Get("X-Linked-Size") ?? (HubErrors.IsRedirect(response.StatusCode) ? null : Get("Content-Length"));
        var where = $"{Repo}: the Hub's HEAD of {path}";
        var answeredCommit = Get("X-Repo-Commit")
            ?? throw new CadreException($"{where} has no X-Repo-Commit header; is HF_ENDPOINT ({_settings.Endpoint}) a Hugging Face Hub, or is a proxy in the way?");
        if (etag is null)
            throw new CadreException($"{where} has no ETag, so the download could not be checked; nothing was downloaded");
        if (!long.TryParse(size, out var length) || length < 0)
            throw new CadreException($"{where} gives no size (X-Linked-Size or Content-Length); nothing was downloaded");
        var location = response.Headers.Location is { } l ? new Uri(response.RequestMessage!.RequestUri!, l) : response.RequestMessage!.RequestUri!;
        return new HubFileMetadata(answeredCommit, NormalizeEtag(etag), length, location);
    }

    /// <summary>
    /// Starts the GET of a file's content at <paramref name="offset"/> (a Range request when above 0); the caller
    /// reads the body and disposes the response. A 200 to a Range request means the server sent the whole file.
    /// </summary>
    public HttpResponseMessage Download(Uri location, long offset, string path, CancellationToken cancel)
    {
        var response = Send(HttpMethod.Get, location, followAll: true, cancel, offset);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            return response;
        using (response)
            throw HubErrors.From(response, Repo, _settings.Endpoint, _settings.Token is not null, $"file {path}");
    }

    /// <summary>The ETag as a file name: W/ and quotes removed (huggingface_hub's _normalize_etag).</summary>
    public static string NormalizeEtag(string etag) => (etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag).Trim('"');

    public void Dispose() => _client.Dispose();

    private Uri Api(string rest) => new(_endpoint, $"api/models/{Repo}/{rest}");

    private Uri Resolve(string commit, string path) =>
        new(_endpoint, $"{Repo}/resolve/{commit}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>Sends with the token to the Hub's own host; follows relative redirects (or all, for content).</summary>
    private HttpResponseMessage Send(HttpMethod method, Uri uri, bool followAll, CancellationToken cancel, long offset = 0)
    {
        for (var hops = 0; ; hops++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (_settings.Token is { } token && IsHub(uri))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.AcceptEncoding.ParseAdd("identity"); // the real size, not a compressed one
            if (offset > 0)
                request.Headers.Range = new RangeHeaderValue(offset, null);
            HttpResponseMessage response;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                deadline.CancelAfter(_settings.Timeout);
                try
                {
                    response = _client.Send(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                }
                catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
                {
                    throw HubErrors.Unreachable(_settings.Endpoint, new TimeoutException($"no answer from {uri.Host} in {_settings.Timeout.TotalSeconds:0} s", e));
                }
                catch (HttpRequestException e)
                {
                    throw HubErrors.Unreachable(_settings.Endpoint, e);
                }
            }
            if (!HubErrors.IsRedirect(response.StatusCode) || response.Headers.Location is not { } location)
                return response;
            var target = new Uri(uri, location);
            if (!followAll && location.IsAbsoluteUri && !IsHub(target))
                return response; // the CDN's address: the caller downloads from it later
            if (hops >= MaxRedirects)
                throw new CadreException($"{Repo}: more than {MaxRedirects} redirects from {uri}");
            uri = target;
            response.Dispose();
        }
    }

    /// <summary>The endpoint's own host, or huggingface.co itself (where a mirror may send a request on).</summary>
    private bool IsHub(Uri uri) =>
        uri.Host == _endpoint.Host && uri.Port == _endpoint.Port
        || uri.Scheme == Uri.UriSchemeHttps && uri.Host is "huggingface.co" or "hf.co";

    private void Require(HttpResponseMessage response, string what, string? revision = null)
    {
        if (!response.IsSuccessStatusCode)
            throw HubErrors.From(response, Repo, _settings.Endpoint, _settings.Token is not null, what, revision);
    }

    private JsonDocument ReadJson(HttpResponseMessage response, CancellationToken cancel)
    {
        try
        {
            using var stream = response.Content.ReadAsStream(cancel);
            return JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new CadreException($"{Repo}: the Hub's answer from {response.RequestMessage?.RequestUri} is not JSON ({e.Message}); is HF_ENDPOINT ({_settings.Endpoint}) a Hugging Face Hub?", e);
        }
    }
}
