using System.Text.Json.Nodes;
using Cadre.Serving;
using Cadre.Specialists;
using Cadre.Store;

namespace Cadre.Tests.Serving;

/// <summary>
/// The engine finds a specialist's base by the content it was trained on, as <c>cadre predict</c> does: a base that
/// arrived under another name (<c>cadre bundle apply --base-name</c>) serves it with the same answers, and a base of
/// the recorded name holding other content is refused with 503 rather than used.
/// </summary>
public sealed class BaseByContentTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string[] Texts = ["the cat sat", "blue and red"];

    [Fact]
    public async Task ABaseUnderAnotherNameServesBySameContentAndOtherContentIsRefused()
    {
        await using var original = new SpecialistEngine(served.Home, new ServingOptions());
        var expected = await original.PredictAsync("pets-lora", Texts, null, CancellationToken.None);

        using var home = ServedHomes.Copy(served.Home);
        Rename(home.Path, "tiny", "tiny-elsewhere");
        await using (var engine = new SpecialistEngine(home.Path, new ServingOptions()))
        {
            var answers = await engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None);
            for (var i = 0; i < Texts.Length; i++)
                foreach (var (label, p) in expected[0].Predictions[i].Probabilities)
                    Assert.Equal(p, answers[0].Predictions[i].Probabilities[label], 5);
        }

        // A base named 'tiny' again, but with other content, while the original content is gone.
        Directory.Delete(Path.Combine(home.Path, "bases", "tiny-elsewhere"), recursive: true);
        Directory.CreateDirectory(Path.Combine(home.Path, "bases", "tiny"));
        var record = new BaseCatalog(served.Home).Get("tiny");
        foreach (var file in Directory.EnumerateFiles(new BaseCatalog(served.Home).FolderOf("tiny")))
            File.Copy(file, Path.Combine(home.Path, "bases", "tiny", Path.GetFileName(file)));
        SetJson(Path.Combine(home.Path, "bases", "tiny", BaseRecord.FileName), json => json["content_hash"] = new string('e', 64));
        await using var other = new SpecialistEngine(home.Path, new ServingOptions());
        var refused = await Assert.ThrowsAsync<ServingException>(() => other.PredictAsync("pets-lora", Texts, null, CancellationToken.None));
        Assert.Equal(ServingErrorKind.Unavailable, refused.Kind);
        Assert.Contains(record.ContentHash[..12], refused.Message);
        Assert.Contains("eeeeeeeeeeee", refused.Message);
    }

    /// <summary>What <c>bundle apply --base-name</c> leaves: the same files under another folder and name.</summary>
    private static void Rename(string home, string from, string to)
    {
        var catalog = new BaseCatalog(home);
        Directory.Move(catalog.FolderOf(from), catalog.FolderOf(to));
        SetJson(Path.Combine(catalog.FolderOf(to), BaseRecord.FileName), json => json["name"] = to);
        Assert.False(catalog.Contains(from));
        Assert.Equal("tiny", new SpecialistCatalog(home).Get("pets-lora").Base.Name);
    }

    private static void SetJson(string path, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(json);
        File.WriteAllText(path, json.ToJsonString());
    }
}
