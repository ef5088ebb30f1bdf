using Cadre.Tests.Infrastructure;
using Cadre.Tests.Store;

namespace Cadre.Tests.Hub;

/// <summary>
/// <c>cadre base pull</c> as a user runs it: a real process whose environment (HF_ENDPOINT, HF_HUB_CACHE, HF_TOKEN,
/// HF_HUB_OFFLINE) points at the stand-in Hub; results on stdout, progress on stderr, each refusal one line.
/// </summary>
public sealed class BasePullCommandTests
{
    private static (int Code, string Out, string Error) Cadre(HubTestHome home, Dictionary<string, string> environment, params string[] args)
    {
        using var process = new CadreProcess(home.Home, environment, args);
        return process.Wait();
    }

    private static Dictionary<string, string> Environment(HubTestHome home, params (string, string)[] more)
    {
        var environment = new Dictionary<string, string>
        {
            ["HF_ENDPOINT"] = home.Hub.Endpoint, ["HF_HUB_CACHE"] = home.Cache, ["HF_TOKEN"] = "", ["HF_HUB_OFFLINE"] = "",
            ["HF_HOME"] = Path.Combine(home.Home, "no-hf-home"), // no token file of the machine's user
        };
        foreach (var (k, v) in more)
            environment[k] = v;
        return environment;
    }

    [Fact]
    public async Task PullsImportsAndPullsAgainOffline()
    {
        await using var home = await HubTestHome.StartAsync();
        home.Hub.Tokens.Add("hf_token");
        var commit = home.AddTinyBert(isPrivate: true).Resolve("main")!;

        var pull = Cadre(home, Environment(home, ("HF_TOKEN", "hf_token")), "base", "pull", HubTestHome.TinyBert, "--name", "tiny");
        Assert.True(pull.Code == 0, pull.Error);
        var lines = pull.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"pulled {HubTestHome.TinyBert} at {commit[..12]} (revision main): 6 files, 6 downloaded (0.1 MiB), 0 already cached; in {home.RepoFolder()}/snapshots/{commit}", lines[0]);
        Assert.StartsWith("imported base 'tiny': bert, ", lines[1]);
        Assert.Contains("download (model.safetensors): ", pull.Error); // the progress line, on stderr
        var show = Cadre(home, Environment(home), "base", "show", "tiny");
        Assert.Contains($"hf:{HubTestHome.TinyBert}@{commit}", show.Out);

        home.Hub.Requests.Clear();
        var offline = Cadre(home, Environment(home, ("HF_HUB_OFFLINE", "1")), "base", "pull", HubTestHome.TinyBert, "--name", "tiny", "--force");
        Assert.True(offline.Code == 0, offline.Error);
        Assert.StartsWith($"pulled {HubTestHome.TinyBert} at {commit[..12]} (revision main): 6 files, from the cache only (HF_HUB_OFFLINE is set)", offline.Out);
        Assert.Empty(home.Hub.Requests);
    }

    [Fact]
    public async Task RefusalsAreOneLineAndExitOne()
    {
        await using var home = await HubTestHome.StartAsync();
        home.AddTinyBert(isPrivate: true);

        var missing = Cadre(home, Environment(home), "base", "pull", "cadre-tests/absent");
        var offline = Cadre(home, Environment(home, ("HF_HUB_OFFLINE", "1")), "base", "pull", "cadre-tests/absent", "--revision", "v1");
        var usage = Cadre(home, Environment(home), "base", "pull");

        Assert.Equal(1, missing.Code);
        Assert.Equal("error: cadre-tests/absent: 401 from the Hub: no public model repository of that id; if it is private or gated, set HF_TOKEN to a read token "
                     + $"({home.Hub.Endpoint}/settings/tokens), otherwise check the id at {home.Hub.Endpoint}/cadre-tests/absent", missing.Error.Trim());
        Assert.Equal(1, offline.Code);
        Assert.StartsWith("error: cadre-tests/absent (revision v1) is not in the Hugging Face cache", offline.Error.Trim());
        Assert.Single(offline.Error.Trim().Split('\n'));
        Assert.Equal(2, usage.Code);
        Assert.Empty(Directory.EnumerateDirectories(home.Cache));
    }
}
