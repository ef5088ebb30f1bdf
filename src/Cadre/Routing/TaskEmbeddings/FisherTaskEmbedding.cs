using Cadre.Data;
using Cadre.Specialists;
using static TorchSharp.torch;

namespace Cadre.Routing.TaskEmbeddings;

/// <summary>
/// A Task2Vec-style task embedding (Achille et al. 2019): the diagonal Fisher information of a fixed probe network's
/// shared parameters, after a task-specific head is trained on the task's examples with the probe frozen. The probe
/// is the frozen base's embedding, centred on a reference mean and scaled to unit length, through one fixed layer h = tanh(W x) of
/// <see cref="Hidden"/> units whose weights W (H, D) are drawn from N(0, 1) with a fixed seed, the same for every
/// task; the head is linear on h. The Fisher of W under the head's own predictive distribution has a closed form,
/// so no labels are sampled and no backward pass is needed:
/// F[h, d] = mean over rows of a[h] · (1 − h²)² · x[d]², where a[h] is the variance of the head's column h under the
/// predicted class distribution (classification), Σ_c σ_c(1 − σ_c) V[c, h]² (multilabel), or V[0, h]² (regression,
/// unit-variance Gaussian on standardized targets). The embedding's length is H · D whatever the label set.
/// The reference mean is the same for every task of one comparison (<see cref="ReferenceMean"/>): sentence
/// embeddings share a large common direction that would otherwise dominate x² and make every task look alike.
/// </summary>
public static class FisherTaskEmbedding
{
    public const int Hidden = 128;
    public const int ProbeSeed = 20190210;
    public const int HeadSteps = 150;
    public const double HeadLearningRate = 3e-2;
    public const double HeadWeightDecay = 1e-2;

    /// <summary>The task embedding (H · D, unnormalized) of a set of labelled base embeddings.</summary>
    public static float[] Compute(RoutingSample sample, float[] reference, int seed = 1)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var raw = tensor(sample.Embeddings).reshape(sample.Rows, sample.Dimension);                                 // (N, D)
        var x = nn.functional.normalize(raw - tensor(reference), p: 2, dim: 1);                                    // (N, D)
        var generator = new TorchSharp.torch.Generator((ulong)ProbeSeed);
        var w = randn([Hidden, sample.Dimension], generator: generator);                                           // (H, D)
        var h = tanh(x.mm(w.t()));                                                                                  // (N, H)
        var (v, outputs) = TrainHead(h, sample, seed);                                                              // (C, H), (N, C)
        var a = sample.Task switch
        {
            TaskKind.Classification => Variance(outputs.softmax(1), v),
            TaskKind.Multilabel => (outputs.sigmoid() * (1 - outputs.sigmoid())).mm(v.pow(2)),                       // (N, H)
            _ => v.pow(2).expand(sample.Rows, -1),                                                                  // (N, H)
        };
        var slope = (1 - h.pow(2)).pow(2);                                                                          // (N, H)
        var fisher = (a * slope).t().mm(x.pow(2)) / sample.Rows;                                                   // (H, D)
        return fisher.reshape(-1).data<float>().ToArray();
    }

    /// <summary>The mean of the tasks' mean embeddings (each task weighs the same, whatever its size).</summary>
    public static float[] ReferenceMean(IEnumerable<RoutingSample> tasks)
    {
        var list = tasks.ToList();
        var mean = new double[list[0].Dimension];
        foreach (var t in list)
            for (var i = 0; i < t.Rows; i++)
            {
                var row = t.Row(i);
                for (var d = 0; d < mean.Length; d++) mean[d] += row[d] / (double)t.Rows / list.Count;
            }
        return [.. mean.Select(v => (float)v)];
    }

    /// <summary>Var over classes c ~ p of V[c, h], per row: p·V² − (p·V)².</summary>
    private static Tensor Variance(Tensor p, Tensor v) => p.mm(v.pow(2)) - p.mm(v).pow(2); // (N, C)·(C, H) → (N, H)

    /// <summary>The task head on the frozen probe features: full batch AdamW, seeded. Returns its weight (C, H) and outputs (N, C).</summary>
    private static (Tensor Weight, Tensor Outputs) TrainHead(Tensor h, RoutingSample sample, int seed)
    {
        using var grad = enable_grad();
        var classes = sample.Task switch
        {
            TaskKind.Classification => sample.Classes!.Max() + 1,
            TaskKind.Multilabel => sample.LabelSets!.Length / sample.Rows,
            _ => 1,
        };
        manual_seed(seed);
        using var head = nn.Linear(Hidden, classes);
        Tensor gold = sample.Task switch
        {
            TaskKind.Classification => tensor(sample.Classes!.Select(c => (long)c).ToArray()),                     // (N)
            TaskKind.Multilabel => tensor(sample.LabelSets!).reshape(sample.Rows, classes),                          // (N, C)
            _ => Standardized(sample.Targets!),                                                                     // (N)
        };
        using var optimizer = optim.AdamW(head.parameters(), HeadLearningRate, weight_decay: HeadWeightDecay);
        for (var step = 0; step < HeadSteps; step++)
        {
            using var stepScope = NewDisposeScope();
            var z = head.forward(h);                                                                                // (N, C)
            var loss = sample.Task switch
            {
                TaskKind.Classification => nn.functional.cross_entropy(z, gold),
                TaskKind.Multilabel => nn.functional.binary_cross_entropy_with_logits(z, gold),
                _ => nn.functional.mse_loss(z.squeeze(1), gold),
            };
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        using var noGrad = no_grad();
        return (head.weight!.detach().clone(), head.forward(h).detach());
    }

    private static Tensor Standardized(float[] targets)
    {
        var t = tensor(targets);
        return (t - t.mean()) / t.std().clamp_min(1e-6);
    }

    /// <summary>
    /// Task2Vec's symmetric distance: the cosine distance of the two embeddings after each coordinate is divided by
    /// their sum (so large-Fisher coordinates of one task do not swamp the comparison). 0 = same, up to 1.
    /// </summary>
    public static double Distance(float[] a, float[] b)
    {
        if (a.Length != b.Length)
            throw new CadreException($"task embeddings of different lengths ({a.Length}, {b.Length}); they must come from one base");
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var sum = a[i] + b[i] + 1e-12;
            var (x, y) = (a[i] / sum, b[i] / sum);
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        return 1 - dot / Math.Sqrt(Math.Max(na * nb, 1e-300));
    }
}
