using Cadre.Composition;
using Cadre.Merge;
using Cadre.Tensors;
using Cadre.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Cadre.Tests.Merge;

/// <summary>The merge streams: one key's inputs at a time, each written before the next is read; and LoRA refactoring.</summary>
[Collection(TorchCollection.Name)]
public sealed class MergerStreamingTests
{
    [Fact]
    public void EachOutputTensorIsWrittenBeforeTheNextKeysInputsAreRead()
    {
        var keys = Enumerable.Range(0, 6).Select(i => $"layer.{i}.weight").ToArray();
        MemorySource Source(string name, float scale) =>
            new(name, keys.ToDictionary(k => k, k => Enumerable.Range(0, 12).Select(j => scale * (j + k.Length)).ToArray()),
                keys.ToDictionary(k => k, _ => new long[] { 3, 4 }));
        var a = Source("a", 1);
        var b = Source("b", -0.5f);
        var events = new List<string>();
        var merger = new Merger(MergeMethods.Get("task_arithmetic"), new MergeSettings(), [new MergeInput(a, 1), new MergeInput(b, 1)])
        {
            OnRead = key =>
            {
                // Every tensor read for an earlier key has been freed, and that key's factors are in the file already.
                Assert.All(a.HandedOut.Concat(b.HandedOut), t => Assert.True(t.IsInvalid, "an earlier input tensor is still alive"));
                events.Add("read " + key);
            },
        };
        using var folder = new TempDir();
        var errors = MergedAdapterWriter.WriteLora(merger, folder.Path, rank: 3, "tiny");
        Assert.Equal(keys.Select(k => "read " + k), events);             // each key read exactly once, in order
        Assert.Equal(keys.Length + 1, errors.Count);                       // per site and the total
        Assert.True(errors["total"] < 1e-5, $"rank 3 of a 3 x 4 update is exact, got {errors["total"]}");
        using var reader = SafetensorsReader.Open(Path.Combine(folder.Path, "adapter_model.safetensors"));
        Assert.Equal(keys.Length * 2, reader.Tensors.Count);
        using var scope = NewDisposeScope();
        var bMatrix = reader.ReadTensor("base_model.model.layer.2.lora_B.weight");            // (3, 3)
        var aMatrix = reader.ReadTensor("base_model.model.layer.2.lora_A.weight");            // (3, 4)
        var expected = Enumerable.Range(0, 12).Select(j => 0.5f * (j + keys[2].Length)).ToArray();
        MergeTestTensors.Near(expected, bMatrix.matmul(aMatrix).reshape(-1).data<float>().ToArray(), 1e-4f);
    }

    [Fact]
    public void FactoringToALowerRankLeavesTheDroppedSingularValuesAsError()
    {
        using var scope = NewDisposeScope();
        // diag(3, 4): singular values 4 and 3. Rank 1 keeps 4: the error is 3 / sqrt(3² + 4²) = 0.6.
        var delta = tensor(new float[] { 3, 0, 0, 4 }).reshape(2, 2);
        using var one = LoraFactorization.Factor(delta, 1);
        Assert.Equal(0.6, one.RelativeError, 6);
        Assert.Equal([1L, 2L], one.A.shape);
        Assert.Equal([2L, 1L], one.B.shape);
        MergeTestTensors.Near([0, 0, 0, 4], one.B.matmul(one.A).reshape(-1).data<float>().ToArray(), 1e-5f);
        // √S goes into both factors: each has norm 2 = √4
        Assert.Equal(2.0, one.A.norm().item<float>(), 5);
        Assert.Equal(2.0, one.B.norm().item<float>(), 5);
        // a rank above min(out, in) pads with zeros and is exact
        using var padded = LoraFactorization.Factor(delta, 4);
        Assert.Equal([4L, 2L], padded.A.shape);
        Assert.Equal(0, padded.RelativeError, 6);
    }

    [Fact]
    public void MismatchedShapesAndMissingFisherAreRefusedBeforeAnythingIsRead()
    {
        var a = MemorySource.Of("a", ("w", [1f, 2f]));
        var b = MemorySource.Of("b", ("w", [1f, 2f, 3f]));
        var shapes = Assert.Throws<CadreException>(() => new Merger(MergeMethods.Get("linear"), new(), [new MergeInput(a, 1), new MergeInput(b, 1)]));
        Assert.Contains("'w' has shape [3] in b but [2] in a", shapes.Message);
        var fisher = Assert.Throws<CadreException>(() => new Merger(MergeMethods.Get("fisher"), new(), [new MergeInput(a, 1), new MergeInput(a, 1)]));
        Assert.Contains("a: the fisher method needs its Fisher", fisher.Message);
        var weights = Assert.Throws<CadreException>(() => new Merger(MergeMethods.Get("linear"), new(), [new MergeInput(a, 1), new MergeInput(a, -1)]));
        Assert.Contains("weights: sum to 0", weights.Message);
        var single = Assert.Throws<CadreException>(() => new Merger(MergeMethods.Get("linear"), new(), [new MergeInput(a, 1)]));
        Assert.Contains("at least two inputs", single.Message);
        var parameter = Assert.Throws<CadreException>(() => new Merger(MergeMethods.Get("ties"), new() { Density = 1.5, Epsilon = 1 },
                                                                       [new MergeInput(a, 1), new MergeInput(a, 1)]));
        Assert.Contains("parameters.density: 1.5 must be in (0, 1]", parameter.Message);
        Assert.Contains("parameters.epsilon: the ties method does not read it", parameter.Message);
        Assert.Empty(a.Reads.Concat(b.Reads));
    }

    [Fact]
    public void AnInputWithoutAKeyCountsAsZeros()
    {
        var a = MemorySource.Of("a", ("w", [2f, 4f]), ("v", [1f]));
        var b = MemorySource.Of("b", ("w", [0f, 2f]));
        var merger = new Merger(MergeMethods.Get("linear"), new(), [new MergeInput(a, 1), new MergeInput(b, 1)]);
        Assert.Equal(["v", "w"], merger.Keys);
        using var v = merger.Merge("v");
        MergeTestTensors.Near([0.5f], v.data<float>().ToArray());      // (1 + 0) / 2
        Assert.DoesNotContain("v", b.Reads);
    }
}
