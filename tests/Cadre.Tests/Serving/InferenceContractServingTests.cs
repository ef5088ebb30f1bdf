using System.Text.Json;
using Cadre.Serving;
using Cadre.Specialists;

namespace Cadre.Tests.Serving;

/// <summary>
/// Serving and prediction read a specialist through its inference contract: what training and merging write equals
/// what an old record of the same specialist implies, an old record (version 1 or 2) answers exactly as the new one,
/// and the contract's max_length, not the spec's, is the length texts are cut to.
/// </summary>
public sealed class InferenceContractServingTests(ServedHome served) : IClassFixture<ServedHome>
{
    private static readonly string[] Texts = ["the big cat sat on the mat and the small dog is not slow", "red and blue", "a dog", "blue"];

    private static readonly string[] All = [.. ServedHome.Shared, "pets-full", "both-merged"];

    private static string Json(object value) => JsonSerializer.Serialize(value, SpecialistCatalog.Json);

    /// <summary>The record as Cadre wrote it before contracts: version 1 for one task, 2 for a merge, no inference.</summary>
    private static SpecialistRecord Old(SpecialistRecord record) => record with
    {
        FormatVersion = record.Tasks is null ? SpecialistRecord.SingleTaskVersion : SpecialistRecord.MultiTaskVersion, Inference = null,
    };

    /// <summary>Stores <paramref name="record"/> as the next version of its specialist, with HEAD's files.</summary>
    private static void Store(string home, SpecialistRecord record)
    {
        var catalog = new SpecialistCatalog(home);
        var folder = catalog.FolderOf(record.Name);
        catalog.Save(record, staging =>
        {
            foreach (var file in Directory.GetFiles(folder).Where(f => Path.GetFileName(f) != SpecialistRecord.FileName))
                File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
        }, "test: the same files under another record");
    }

    private static IReadOnlyList<TaskPredictions> Alone(string home, string name)
    {
        using var model = SpecialistModel.Load(home, name);
        return model.PredictAll(Texts);
    }

    private static void AssertSame(IReadOnlyList<TaskPredictions> expected, IReadOnlyList<TaskPredictions> actual, string name, double tolerance = 0)
    {
        Assert.Equal(expected.Select(t => Json(t.Task)), actual.Select(t => Json(t.Task)));
        foreach (var (e, a) in expected.Zip(actual))
            for (var i = 0; i < Texts.Length; i++)
            {
                Assert.Equal(e.Predictions[i].Label, a.Predictions[i].Label);
                foreach (var (label, p) in e.Predictions[i].Probabilities)
                    Assert.True(Math.Abs(p - a.Predictions[i].Probabilities[label]) <= tolerance, $"{name} text {i} label {label}: {p} then {a.Predictions[i].Probabilities[label]}");
            }
    }

    [Fact]
    public void WhatTrainingAndMergingWriteIsWhatAnOldRecordImplies()
    {
        var catalog = new SpecialistCatalog(served.Home);
        foreach (var name in All)
        {
            var record = catalog.Get(name);
            Assert.Equal(SpecialistRecord.ContractVersion, record.FormatVersion);
            var written = record.Inference ?? throw new InvalidOperationException($"{name}: no inference section");
            Assert.Equal(Json(Old(record).Contract), Json(written));
            Assert.Equal(record.TaskList.Select(t => t.Spec.Training.MaxLength), written.Tasks.Select(t => t.MaxLength));
        }
        var merged = catalog.Get("both-merged").Inference!;
        Assert.Equal(["pets-lora", "colors-lora8"], merged.Tasks.Select(t => t.Name));
        Assert.Equal(["head-pets-lora.safetensors", "head-colors-lora8.safetensors"], merged.Tasks.Select(t => t.Head));
        Assert.Equal("full", catalog.Get("pets-full").Inference!.Adapter.Method);
        Assert.True(catalog.Get("pets-full").Inference!.Adapter.OwnsBase);
    }

    [Fact]
    public async Task OldRecordsOfEverySpecialistAnswerExactlyAsTheNewOnes()
    {
        var expected = All.ToDictionary(n => n, n => Alone(served.Home, n));
        using var home = ServedHomes.Copy(served.Home);
        var catalog = new SpecialistCatalog(home.Path);
        foreach (var name in All)
            Store(home.Path, Old(catalog.Get(name)));
        foreach (var name in All)
        {
            Assert.Null(catalog.Get(name).Inference);
            AssertSame(expected[name], Alone(home.Path, name), name);
        }
        await using var engine = new SpecialistEngine(home.Path, new ServingOptions { MaxBatchWait = TimeSpan.FromMilliseconds(100) });
        var answers = await Task.WhenAll(All.Select(n => engine.PredictAsync(n, Texts, null, CancellationToken.None)));
        for (var k = 0; k < All.Length; k++)
            AssertSame(expected[All[k]], answers[k], All[k], tolerance: 1e-5);
        var pets = await engine.PredictAsync("both-merged", Texts, "pets-lora", CancellationToken.None);
        Assert.Equal("pets-lora", Assert.Single(pets).Task.Name);
    }

    [Fact]
    public async Task TheContractsMaxLengthIsTheOneTextsAreCutTo()
    {
        using var home = ServedHomes.Copy(served.Home);
        var catalog = new SpecialistCatalog(home.Path);
        var record = catalog.Get("pets-lora");
        Assert.Equal(128, record.Inference!.Tasks[0].MaxLength);
        var full = Alone(home.Path, "pets-lora");
        // The contract says 4 tokens; the spec still says 128 (provenance only).
        Store(home.Path, record with { Inference = record.Inference with { Tasks = [record.Inference.Tasks[0] with { MaxLength = 4 }] } });
        var cut = Alone(home.Path, "pets-lora");
        await using (var engine = new SpecialistEngine(home.Path, new ServingOptions()))
            AssertSame(cut, await engine.PredictAsync("pets-lora", Texts, null, CancellationToken.None), "pets-lora (served)", tolerance: 1e-5);
        // The same cut as an old record whose spec said 4: the contract is what counts.
        var spec = record.Spec!;
        Store(home.Path, Old(record) with { Spec = spec with { Training = spec.Training with { MaxLength = 4 } } });
        AssertSame(cut, Alone(home.Path, "pets-lora"), "pets-lora (old record, spec 4)");
        // And it is a real cut: the long first text answers otherwise at 128 tokens.
        Assert.NotEqual(full[0].Predictions[0].Probabilities["cat"], cut[0].Predictions[0].Probabilities["cat"]);
        Assert.Equal(full[0].Predictions[3].Probabilities["cat"], cut[0].Predictions[3].Probabilities["cat"], 5);
    }
}
