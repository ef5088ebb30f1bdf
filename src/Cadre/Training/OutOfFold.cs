using Cadre.Tasks;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Training;

/// <summary>Settings of the cross-validated heads behind label issues.</summary>
public sealed record OutOfFoldOptions
{
    /// <summary>Folds; each row's probabilities come from the head trained on the other folds. Default 5 (cleanlab's).</summary>
    public int Folds { get; init; } = 5;
    /// <summary>Full-batch Adam steps per fold. Default 300: the convex objective has converged by then on every set tried.</summary>
    public int Steps { get; init; } = 300;
    /// <summary>Adam's peak rate, decayed linearly to zero. Default 0.05 (standardized features).</summary>
    public double LearningRate { get; init; } = 0.05;
    /// <summary>
    /// L2 strength C as scikit-learn's LogisticRegression: the loss is the mean cross-entropy plus ||W||² / (2·C·n).
    /// Default null: chosen from <see cref="Candidates"/> by the held-out log-loss of the first fold (a head fit on
    /// the other folds), then used for every fold. Noisy labels punish over-confident heads, and how much
    /// regularization a base's features need differs by data set, so it is measured rather than fixed.
    /// </summary>
    public double? C { get; init; }
    public static readonly IReadOnlyList<double> Candidates = [1e-3, 1e-2, 1e-1, 1];
    public int Seed { get; init; } = 1;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Folds < 2) errors.Add("folds: must be at least 2");
        if (Steps < 1) errors.Add("steps: must be at least 1");
        if (LearningRate <= 0) errors.Add("learning_rate: must be > 0");
        if (C is <= 0) errors.Add("C: must be > 0");
        return errors;
    }
}

/// <summary>
/// Out-of-fold class probabilities: k stratified, seeded folds; for each, a fresh <see cref="ClassifierHead"/>
/// (standardized features, one linear layer: multinomial logistic regression) is fit on the other folds' frozen
/// embeddings and predicts the held-out fold. Full-batch, so a fold of 80,000 rows × 512 features costs a few
/// hundred (N, D)·(D, C) products, seconds on a CPU.
/// </summary>
public static class OutOfFold
{
    /// <summary>Fold of each row: each class's rows shuffled (seeded) and dealt round-robin, so folds keep the class mix.</summary>
    public static int[] Folds(IReadOnlyList<int> labels, int folds, int seed)
    {
        var random = new Random(seed);
        var fold = new int[labels.Count];
        var next = 0;
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var rows = group.ToArray();
            random.Shuffle(rows);
            foreach (var r in rows) fold[r] = next++ % folds; // continue the deal across classes: folds stay level
        }
        return fold;
    }

    /// <param name="features">(N, D) frozen embeddings</param>
    /// <returns>N rows of C probabilities, each from a head that never saw the row, and the L2 strength used</returns>
    public static (float[][] Probabilities, double C) Probabilities(Tensor features, IReadOnlyList<int> labels, int classes,
                                                                   OutOfFoldOptions options, CancellationToken cancel = default)
    {
        if (options.Validate() is { Count: > 0 } errors)
            throw new CadreException("out-of-fold settings: " + string.Join("; ", errors));
        var n = labels.Count;
        if (features.shape[0] != n)
            throw new ArgumentException($"{features.shape[0]} feature rows for {n} labels");
        var fold = Folds(labels, options.Folds, options.Seed);
        int[] Train(int f) => Enumerable.Range(0, n).Where(i => fold[i] != f).ToArray();
        int[] Held(int f) => Enumerable.Range(0, n).Where(i => fold[i] == f).ToArray();
        var result = new float[n][];
        var threads = get_num_threads();
        // These small full-batch products gain little from a second thread, and on shared cores OpenMP's spinning
        // barriers made them 5 to 50 times slower (measured: 69 s against 13 s for trec's folds on a busy machine).
        set_num_threads(1);
        try
        {
            var c = options.C ?? ChooseC(features, labels, classes, Train(0), Held(0), options);
            for (var f = 0; f < options.Folds; f++)
            {
                cancel.ThrowIfCancellationRequested();
                var held = Held(f);
                if (held.Length == 0) continue;
                var p = FitAndPredict(features, labels, classes, Train(f), held, options with { C = c }, options.Seed + f);
                for (var k = 0; k < held.Length; k++) result[held[k]] = p[k];
            }
            return (result, c);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Rows of the first fold's training part used to choose C; more changes the choice little and costs linearly.</summary>
    public const int SelectionRows = 20_000;

    /// <summary>The candidate C whose head, fit on (up to <see cref="SelectionRows"/> of) the other folds, has the lowest log-loss on the first fold.</summary>
    private static double ChooseC(Tensor features, IReadOnlyList<int> labels, int classes, int[] train, int[] held, OutOfFoldOptions options)
    {
        if (train.Length > SelectionRows)
        {
            var random = new Random(options.Seed);
            train = [.. train];
            random.Shuffle(train);
            train = train[..SelectionRows];
        }
        return OutOfFoldOptions.Candidates.MinBy(candidate =>
        {
            var p = FitAndPredict(features, labels, classes, train, held, options with { C = candidate }, options.Seed);
            return held.Select((r, k) => -Math.Log(Math.Max(p[k][labels[r]], 1e-12))).Average();
        });
    }


    /// <summary>Fits a head on <paramref name="train"/> rows and returns softmax probabilities for <paramref name="predict"/> rows.</summary>
    public static float[][] FitAndPredict(Tensor features, IReadOnlyList<int> labels, int classes, int[] train, int[] predict,
                                          OutOfFoldOptions options, int seed)
    {
        using var scope = NewDisposeScope();
        using var head = Fit(features, labels, classes, train, options, seed);
        using var _ = no_grad();
        head.eval();
        var x = features.index_select(0, tensor(predict.Select(i => (long)i).ToArray()));  // (M, D)
        var p = nn.functional.softmax(head.forward(x), -1);                                 // (M, C)
        var flat = p.data<float>().ToArray();
        return Enumerable.Range(0, predict.Length).Select(i => flat.AsSpan(i * classes, classes).ToArray()).ToArray();
    }

    /// <summary>
    /// A head fit on the given rows (the caller owns it): features standardized once, then full-batch Adam on a
    /// plain linear layer, whose weights go into the head (whose forward standardizes the same way).
    /// </summary>
    public static ClassifierHead Fit(Tensor features, IReadOnlyList<int> labels, int classes, int[] train, OutOfFoldOptions options, int seed)
    {
        var head = new ClassifierHead(features.shape[1], classes, seed);
        using var scope = NewDisposeScope();
        var x = features.index_select(0, tensor(train.Select(i => (long)i).ToArray())); // (n, D)
        var y = tensor(train.Select(i => (long)labels[i]).ToArray());                    // (n)
        head.Standardize(x);
        var state = head.state_dict();
        var z = ((x - state["feature_mean"]) / state["feature_std"]).detach();          // (n, D), once instead of every step
        var weight = new Parameter(state["classifier.weight"].detach().clone());       // (C, D), the head's seeded init
        var bias = new Parameter(state["classifier.bias"].detach().clone());           // (C)
        var penalty = 1.0 / (2 * (options.C ?? 1) * train.Length);
        using var optimizer = optim.Adam([weight, bias], options.LearningRate);
        for (var step = 0; step < options.Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = options.LearningRate * (options.Steps - step) / options.Steps;
            optimizer.zero_grad();
            var logits = z.matmul(weight.t()) + bias;                                    // (n, C)
            var loss = nn.functional.cross_entropy(logits, y) + weight.pow(2).sum() * penalty;
            loss.backward();
            optimizer.step();
        }
        using (no_grad())
        {
            state["classifier.weight"].copy_(weight);
            state["classifier.bias"].copy_(bias);
        }
        return head;
    }
}
