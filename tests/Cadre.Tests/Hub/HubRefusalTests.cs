using System.Text;
using Cadre.Hub;

namespace Cadre.Tests.Hub;

/// <summary>What the Hub refuses, and what Cadre refuses to fetch, as one line each; nothing is left in the cache.</summary>
public sealed class HubRefusalTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Refusal(HubTestHome home, string repo, string? token = null, string? revision = null)
    {
        var e = Assert.Throws<CadreException>(() => HubPull.Pull(home.Settings(token), repo, revision, null, Cancel));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public async Task APickleOnlyRepositoryIsRefusedWithTheConversionAndNothingIsFetched()
    {
        await using var home = await HubTestHome.StartAsync();
        var config = File.ReadAllBytes(Path.Combine(Infrastructure.TinyTask.TinyBert, "config.json"));
        home.Hub.Add("cadre-tests/pickled").Commit(new Dictionary<string, byte[]>
        {
            ["config.json"] = config, ["vocab.txt"] = Encoding.UTF8.GetBytes("[PAD]\n"),
            ["pytorch_model.bin"] = HubTestHome.Extras["pytorch_model.bin"], ["tf_model.h5"] = HubTestHome.Extras["tf_model.h5"],
        });

        var line = Refusal(home, "cadre-tests/pickled");

        Assert.StartsWith("cadre-tests/pickled (revision main) has its weights only as PyTorch pickles (pytorch_model.bin), which Cadre never downloads nor unpickles", line);
        Assert.Contains("https://huggingface.co/spaces/safetensors/convert", line);
        Assert.Contains("cadre base pull cadre-tests/pickled --revision refs/pr/N", line);
        Assert.Contains("save_pretrained('converted', safe_serialization=True)", line);
        Assert.DoesNotContain(home.Hub.Requests, HubStandIn.IsFileRequest);
        Assert.False(Directory.Exists(Path.Combine(home.RepoFolder("cadre-tests/pickled"), "blobs")));
    }

    [Fact]
    public async Task OtherFormatsAndMissingConfigAreNamed()
    {
        await using var home = await HubTestHome.StartAsync();
        var config = File.ReadAllBytes(Path.Combine(Infrastructure.TinyTask.TinyBert, "config.json"));
        home.Hub.Add("cadre-tests/tf").Commit(new Dictionary<string, byte[]> { ["config.json"] = config, ["tf_model.h5"] = HubTestHome.Extras["tf_model.h5"] });
        home.Hub.Add("cadre-tests/llama2c").Commit(new Dictionary<string, byte[]> { ["stories15M.bin"] = [1, 2, 3, 4] });

        Assert.Equal("cadre-tests/tf (revision main) has weights as tf_model.h5 but not as safetensors (model.safetensors or model.safetensors.index.json), the only weights Cadre reads",
                     Refusal(home, "cadre-tests/tf"));
        Assert.StartsWith("cadre-tests/llama2c (revision main) has no config.json: cadre base pull takes Hugging Face model repositories", Refusal(home, "cadre-tests/llama2c"));
    }

    [Fact]
    public async Task APrivateRepositoryNeedsAToken()
    {
        await using var home = await HubTestHome.StartAsync();
        home.Hub.Tokens.Add("hf_good");
        home.AddTinyBert(isPrivate: true);

        var anonymous = Refusal(home, HubTestHome.TinyBert);
        var wrong = Refusal(home, HubTestHome.TinyBert, "hf_mistyped");

        Assert.Equal($"{HubTestHome.TinyBert}: 401 from the Hub: no public model repository of that id; if it is private or gated, set HF_TOKEN to a read token "
                     + $"({home.Hub.Endpoint}/settings/tokens), otherwise check the id at {home.Hub.Endpoint}/{HubTestHome.TinyBert}", anonymous);
        Assert.StartsWith("the Hub did not accept the token in HF_TOKEN (401: Invalid credentials in Authorization header)", wrong);
        Assert.Equal(HubTestHome.TinyBertFiles.Length, HubPull.Pull(home.Settings("hf_good"), HubTestHome.TinyBert, null, null, Cancel).Files.Count);
    }

    [Fact]
    public async Task AMissingRepositoryRevisionOrIdIsNamed()
    {
        await using var home = await HubTestHome.StartAsync();
        home.Hub.Tokens.Add("hf_good");
        home.AddTinyBert();

        Assert.StartsWith("cadre-tests/nothing: 401 from the Hub: no public model repository of that id", Refusal(home, "cadre-tests/nothing"));
        Assert.Equal($"cadre-tests/nothing: no such model repository on {home.Hub.Endpoint} (404)", Refusal(home, "cadre-tests/nothing", "hf_good"));
        Assert.StartsWith($"{HubTestHome.TinyBert} has no revision 'v9'", Refusal(home, HubTestHome.TinyBert, revision: "v9"));
        Assert.StartsWith("'not a repo' is not a Hugging Face model id: expected ORG/NAME", Refusal(home, "not a repo"));
        Assert.StartsWith("'a/b/c' is not a Hugging Face model id", Refusal(home, "a/b/c"));
        Assert.StartsWith("'org--x/y' is not a Hugging Face model id", Refusal(home, "org--x/y"));
        Assert.False(Directory.Exists(home.RepoFolder("cadre-tests/nothing")));
    }

    [Fact]
    public async Task AGatedRepositorySaysToAcceptTheLicenceAndSetTheToken()
    {
        await using var home = await HubTestHome.StartAsync();
        home.Hub.Tokens.UnionWith(["hf_granted", "hf_other"]);
        home.AddTinyBert(gated: true).Granted.Add("hf_granted");

        var anonymous = Refusal(home, HubTestHome.TinyBert);
        var notGranted = Refusal(home, HubTestHome.TinyBert, "hf_other");

        Assert.Equal($"{HubTestHome.TinyBert} is gated: accept its licence at {home.Hub.Endpoint}/{HubTestHome.TinyBert} while logged in, create a read token at "
                     + $"{home.Hub.Endpoint}/settings/tokens, set HF_TOKEN to it, then pull again", anonymous);
        Assert.StartsWith($"{HubTestHome.TinyBert} is gated and the account of HF_TOKEN has not been granted access: accept its licence at", notGranted);
        Assert.Equal(HubTestHome.TinyBertFiles.Length, HubPull.Pull(home.Settings("hf_granted"), HubTestHome.TinyBert, null, null, Cancel).Files.Count);
    }

    [Fact]
    public async Task AnIndexNamingAMissingShardIsRefused()
    {
        await using var home = await HubTestHome.StartAsync();
        var config = File.ReadAllBytes(Path.Combine(Infrastructure.TinyTask.TinyBert, "config.json"));
        home.Hub.Add("cadre-tests/sharded").Commit(new Dictionary<string, byte[]>
        {
            ["config.json"] = config,
            ["model.safetensors.index.json"] = Encoding.UTF8.GetBytes("""{"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"""),
            ["model-00001-of-00002.safetensors"] = [1, 2, 3],
        });

        Assert.Equal("cadre-tests/sharded (revision main): model.safetensors.index.json names the shard model-00002-of-00002.safetensors, which the repository does not have",
                     Refusal(home, "cadre-tests/sharded"));
        Assert.DoesNotContain(home.Hub.Requests, r => r.Cdn);
    }
}
