namespace Cadre.Hub;

/// <summary>
/// Where the Hugging Face Hub is and where its files are kept, read from the same environment variables as the
/// Python <c>huggingface_hub</c> library, so that a pull and a Python download share one cache:
/// <list type="bullet">
/// <item><c>HF_ENDPOINT</c>: the Hub's address (default https://huggingface.co; a mirror or a private Hub).</item>
/// <item><c>HF_TOKEN</c> (or the older <c>HUGGING_FACE_HUB_TOKEN</c>, or the file <c>HF_TOKEN_PATH</c>, default
/// <c>$HF_HOME/token</c> as <c>hf auth login</c> writes it): sent as <c>Authorization: Bearer</c>.</item>
/// <item><c>HF_HUB_CACHE</c> (or the older <c>HUGGINGFACE_HUB_CACHE</c>), else <c>$HF_HOME/hub</c>, with
/// <c>HF_HOME</c> defaulting to <c>$XDG_CACHE_HOME/huggingface</c>, then <c>~/.cache/huggingface</c>.</item>
/// <item><c>HF_HUB_OFFLINE</c> (or <c>TRANSFORMERS_OFFLINE</c>) = 1/ON/YES/TRUE: the cache only, no request.</item>
/// </list>
/// </summary>
public sealed record HubSettings
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The Hub's base address, without a trailing slash.</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The access token for private and gated repositories; null sends none.</summary>
    public string? Token { get; init; }

    /// <summary>The hub cache folder (the one holding <c>models--ORG--NAME</c>).</summary>
    public required string Cache { get; init; }

    /// <summary>True: resolve from the cache only and never make a request.</summary>
    public bool Offline { get; init; }

    /// <summary>How often one download resumes after a dropped connection before the pull gives up (as huggingface_hub: 5).</summary>
    public int Retries { get; init; } = 5;

    /// <summary>The longest wait for the Hub to answer a metadata request, and for the next bytes of a download.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The settings a process with these environment variables gets (<paramref name="variable"/> reads one).</summary>
    public static HubSettings FromEnvironment(Func<string, string?> variable)
    {
        string? Get(string name) => variable(name) is { Length: > 0 } v ? v : null;
        var userHome = Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string Expand(string path) =>
            path == "~" ? userHome : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(userHome, path[2..]) : path;
        var hfHome = Expand(Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(userHome, ".cache"), "huggingface"));
        var cache = Expand(Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(hfHome, "hub"));
        return new HubSettings
        {
            Endpoint = (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/'),
            Token = Get("HF_TOKEN")?.Trim() ?? Get("HUGGING_FACE_HUB_TOKEN")?.Trim() ?? ReadTokenFile(Expand(Get("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token"))),
            Cache = Path.GetFullPath(cache),
            Offline = IsTrue(Get("HF_HUB_OFFLINE") ?? Get("TRANSFORMERS_OFFLINE")),
        };
    }

    /// <summary>huggingface_hub's reading of a boolean variable.</summary>
    internal static bool IsTrue(string? value) => value?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    /// <summary>The token <c>hf auth login</c> saved, if any: an unreadable file is the same as none.</summary>
    private static string? ReadTokenFile(string path)
    {
        try
        {
            return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } token ? token : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
