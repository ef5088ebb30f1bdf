using System.Buffers.Binary;
using System.Text.Json;
using Cadre.Server;
using Cadre.Serving;
using Cadre.Specialists;
using Cadre.Tests.Infrastructure;
using Cadre.Tests.Server;
using Microsoft.Extensions.Logging;

namespace Cadre.Tests.Serving;

/// <summary>
/// A specialist whose weights are NaN (written straight into its checkout, past every import check) is never
/// answered as if it were fine: the engine refuses with <see cref="ServingErrorKind.NonFiniteOutput"/> naming it, the
/// server answers a 500 problem, <c>cadre predict</c> prints one error line and exits 1, and other specialists in
/// the same batch are still answered.
/// </summary>
public sealed class NonFiniteOutputTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string[] Texts = ["the cat", "blue"];

    [Fact]
    public async Task NaNWeightsAreRefusedByTheEngineTheServerAndTheCli()
    {
        using var home = ServedHomes.Copy(served.Home);
        Poison(home.Path, "pets-lora");
        await using var engine = new SpecialistEngine(home.Path, new ServingOptions { MaxBatchWait = TimeSpan.FromMilliseconds(300) });

        // In one batch with a healthy specialist: the broken one is refused, the healthy one answered.
        var broken = engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None);
        var healthy = engine.PredictAsync("pets-ia3", Texts, null, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ServingException>(() => broken);
        Assert.Equal(ServingErrorKind.NonFiniteOutput, refused.Kind);
        Assert.Contains("pets-lora", refused.Message);
        Assert.All((await healthy)[0].Predictions.SelectMany(p => p.Probabilities.Values), p => Assert.True(double.IsFinite(p)));
        var embed = await Assert.ThrowsAsync<ServingException>(() => engine.EmbedAsync(Texts, "pets-lora", CancellationToken.None));
        Assert.Equal(ServingErrorKind.NonFiniteOutput, embed.Kind);
        Assert.Null(engine.Stats().TopSpecialists.FirstOrDefault(t => t.Name == "pets-lora").Name); // refused: not served

        var app = CadreServer.Build(engine, new ServerSettings { Host = "127.0.0.1", Port = 0, LogLevel = LogLevel.None });
        await app.StartAsync(Http.Cancel);
        try
        {
            using var client = new HttpClient { BaseAddress = app.Address(), Timeout = TimeSpan.FromSeconds(60) };
            var problem = await (await client.PostJson("/v1/specialists/pets-lora/predict", new { inputs = Texts })).Problem(500, "non-finite-output");
            Assert.Contains("pets-lora", problem.GetProperty("detail").GetString());
            Assert.Contains("non-finite", problem.GetProperty("detail").GetString());
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        var cli = new Tests.Cli.CliRunner(home.Path).Run("predict", "pets-lora", "the cat");
        Assert.Equal(1, cli.ExitCode);
        Assert.StartsWith("error: specialist 'pets-lora' produces non-finite output", cli.Error);
        Assert.Single(cli.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Sets every F32 value of every safetensors file in the specialist's checkout to NaN.</summary>
    private static void Poison(string home, string name)
    {
        var folder = new SpecialistCatalog(home).FolderOf(name);
        var files = Directory.GetFiles(folder, "*.safetensors");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
            foreach (var tensor in header.RootElement.EnumerateObject().Where(t => t.Name != "__metadata__"))
            {
                if (tensor.Value.GetProperty("dtype").GetString() != "F32") continue;
                var offsets = tensor.Value.GetProperty("data_offsets");
                for (var at = 8 + headerLength + offsets[0].GetInt32(); at < 8 + headerLength + offsets[1].GetInt32(); at += 4)
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), float.NaN);
            }
            File.WriteAllBytes(file, bytes);
        }
    }
}

/// <summary>Copies of a served home that a test may change.</summary>
internal static class ServedHomes
{
    public static TempDir Copy(string source)
    {
        var home = new TempDir();
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(home.Path, Path.GetRelativePath(source, dir)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(home.Path, Path.GetRelativePath(source, file)));
        return home;
    }
}
