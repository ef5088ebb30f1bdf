using System.Text;
using Cadre.Hub;
using Cadre.Store;
using Cadre.Tests.Infrastructure;

namespace Cadre.Tests.Hub;

/// <summary>A started stand-in Hub, an empty hub cache and an empty CADRE_HOME, for one test.</summary>
internal sealed class HubTestHome : IAsyncDisposable
{
    public const string TinyBert = "cadre-tests/tiny-bert";

    private readonly TempDir _cache = new(), _home = new();

    private HubTestHome(HubStandIn hub) => Hub = hub;

    public HubStandIn Hub { get; }
    public string Cache => _cache.Path;
    public string Home => _home.Path;
    public BaseCatalog Catalog => new(Home);

    /// <summary>The models--ORG--NAME folder of <paramref name="repo"/> in the cache.</summary>
    public string RepoFolder(string repo = TinyBert) => Path.Combine(Cache, "models--" + repo.Replace("/", "--", StringComparison.Ordinal));

    public static async Task<HubTestHome> StartAsync() => new(await HubStandIn.StartAsync());

    public HubSettings Settings(string? token = null, bool offline = false, int retries = 5) => new()
    {
        Endpoint = Hub.Endpoint, Cache = Cache, Token = token, Offline = offline, Retries = retries, Timeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>
    /// The tiny test BERT (a sentence-transformers folder) as <paramref name="id"/>, with what real repositories carry
    /// beside it and a pull must leave alone: a README, a pickle of the weights, TensorFlow and ONNX exports.
    /// </summary>
    public StandInRepository AddTinyBert(string id = TinyBert, bool isPrivate = false, bool gated = false)
    {
        var repository = Hub.Add(id, isPrivate, gated);
        repository.CommitFolder(TinyTask.TinyBert, extra: Extras);
        return repository;
    }

    public static readonly IReadOnlyDictionary<string, byte[]> Extras = new Dictionary<string, byte[]>
    {
        ["README.md"] = Encoding.UTF8.GetBytes("# tiny-bert\nA test model.\n"),
        ["pytorch_model.bin"] = [0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e], // a pickle: PROTO 2, EMPTY_DICT, ..., STOP
        ["tf_model.h5"] = Encoding.ASCII.GetBytes("\x89HDF\r\n\x1a\n not a real one"),
        ["onnx/model.onnx"] = Encoding.ASCII.GetBytes("not a real onnx file"),
    };

    /// <summary>The repository paths a base import needs from the tiny BERT.</summary>
    public static readonly string[] TinyBertFiles =
        ["1_Pooling/config.json", "config.json", "model.safetensors", "modules.json", "tokenizer_config.json", "vocab.txt"];

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        _cache.Dispose();
        _home.Dispose();
    }
}
