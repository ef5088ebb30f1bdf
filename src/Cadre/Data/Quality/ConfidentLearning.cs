namespace Cadre.Data.Quality;

/// <summary>One row whose given label confident learning doubts: its index, the given and the suggested class, and
/// its self-confidence (the out-of-fold probability of the given label; lower is more suspect).</summary>
public sealed record LabelIssue(int Row, int Given, int Suggested, double SelfConfidence);

/// <summary>What <see cref="ConfidentLearning.FindIssues"/> computed, for reports and tests.</summary>
public sealed record ConfidentLearningResult(double[] Thresholds, int[,] ConfidentJoint, IReadOnlyList<LabelIssue> Issues);

/// <summary>
/// Confident learning (Northcutt, Jiang and Chuang, JAIR 2021) as cleanlab's <c>find_label_issues</c> does it by
/// default (<c>filter_by="prune_by_noise_rate"</c>, <c>frac_noise=1</c>, <c>min_examples_per_class=1</c>):
/// per-class thresholds t_j = mean probability of j over the rows labelled j; the confident joint C[i, j] counts
/// rows labelled i whose probability of j reaches t_j (the most probable such class where several do), calibrated
/// to the given label counts; for every off-diagonal (i, j) the C[i, j] rows labelled i with the largest margin
/// p_j − p_i are issues; rows the model itself predicts as their given label are dropped; the rest are ranked by
/// self-confidence p_given, lowest first. <c>tools/reference/cleanlab/confident_learning.py</c> restates this in
/// numpy for the golden fixture. Ties sort stably (by row), where numpy's default sort is not stable.
/// O(N·K) time and memory besides the per-class sorts.
/// </summary>
public static class ConfidentLearning
{
    /// <summary>cleanlab's FLOATING_POINT_COMPARISON.</summary>
    private const double Epsilon = 1e-6;
    /// <summary>cleanlab's CONFIDENT_THRESHOLDS_LOWER_BOUND.</summary>
    private const double ThresholdFloor = 2 * Epsilon;

    /// <param name="labels">given class index per row (N)</param>
    /// <param name="probabilities">out-of-fold class probabilities per row (N rows of K)</param>
    public static ConfidentLearningResult FindIssues(IReadOnlyList<int> labels, IReadOnlyList<float[]> probabilities, int classes)
    {
        Check(labels, probabilities, classes);
        var n = labels.Count;
        var p = probabilities;
        var counts = new int[classes];
        foreach (var l in labels) counts[l]++;
        var thresholds = Thresholds(labels, p, classes);
        var joint = CalibratedJoint(labels, p, thresholds, counts);
        var prune = KeepAtLeastOnePerClass(joint, classes);

        var issue = new bool[n];
        var rowsOf = Enumerable.Range(0, classes).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < n; i++) rowsOf[labels[i]].Add(i);
        for (var k = 0; k < classes; k++)
        {
            var rows = rowsOf[k];
            if (rows.Count <= 1) continue; // min_examples_per_class
            for (var j = 0; j < classes; j++)
            {
                var take = prune[j, k]; // rows labelled k that truly belong to j
                if (j == k || take <= 0) continue;
                var ordered = rows.OrderByDescending(r => (double)p[r][j] - p[r][k]).ThenBy(r => r); // OrderBy is stable
                foreach (var r in ordered.Take(take)) issue[r] = true;
            }
        }
        var found = new List<LabelIssue>();
        for (var i = 0; i < n; i++)
        {
            if (!issue[i]) continue;
            var predicted = ArgMax(p[i], labels[i]);
            if (predicted == labels[i]) continue; // cleanlab's _reduce_issues: the model agrees with the label
            found.Add(new LabelIssue(i, labels[i], ArgMax(p[i], null), p[i][labels[i]]));
        }
        var ranked = found.OrderBy(f => f.SelfConfidence).ThenBy(f => f.Row).ToList();
        return new ConfidentLearningResult(thresholds, joint, ranked);
    }

    /// <summary>t_j: the mean probability of class j over rows labelled j (2, unreachable, for absent classes).</summary>
    public static double[] Thresholds(IReadOnlyList<int> labels, IReadOnlyList<float[]> p, int classes)
    {
        var sum = new double[classes];
        var count = new int[classes];
        for (var i = 0; i < labels.Count; i++)
        {
            sum[labels[i]] += p[i][labels[i]];
            count[labels[i]]++;
        }
        return Enumerable.Range(0, classes).Select(k => count[k] == 0 ? 2.0 : Math.Max(ThresholdFloor, sum[k] / count[k])).ToArray();
    }

    /// <summary>
    /// The confident joint C[given, true] calibrated so row i sums to the count of label i and the whole to N, rounded
    /// preserving row totals (cleanlab's <c>compute_confident_joint</c> with <c>calibrate=True</c>).
    /// </summary>
    public static int[,] CalibratedJoint(IReadOnlyList<int> labels, IReadOnlyList<float[]> p, double[] thresholds, int[] counts)
    {
        var k = thresholds.Length;
        var joint = new double[k, k];
        for (var i = 0; i < labels.Count; i++)
        {
            var confident = 0;
            var first = -1;
            for (var j = 0; j < k; j++)
                if (p[i][j] >= thresholds[j] - Epsilon) { confident++; if (first < 0) first = j; }
            if (confident == 0) continue;
            var guess = confident > 1 ? ArgMax(p[i], null) : first;
            joint[labels[i], guess]++;
        }
        for (var j = 0; j < k; j++) joint[j, j] = Math.Max(1, joint[j, j]);
        for (var i = 0; i < k; i++)
        {
            double row = 0;
            for (var j = 0; j < k; j++) row += joint[i, j];
            for (var j = 0; j < k; j++) joint[i, j] = joint[i, j] / Math.Max(row, 1e-100) * counts[i];
        }
        double total = 0;
        foreach (var v in joint) total += v;
        var n = counts.Sum();
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++) joint[i, j] = joint[i, j] / Math.Max(total, 1e-100) * n;
        var rounded = new int[k, k];
        for (var i = 0; i < k; i++)
        {
            var ints = RoundPreservingSum(Enumerable.Range(0, k).Select(j => joint[i, j]).ToArray());
            for (var j = 0; j < k; j++) rounded[i, j] = ints[j];
        }
        return rounded;
    }

    /// <summary>
    /// cleanlab's <c>_keep_at_least_n_per_class</c> with n = 1 and frac_noise = 1 on the transposed joint: raises a
    /// zero diagonal to one, takes what it added evenly from that column's non-zero noise counts, truncates to
    /// integers. Returns M[true, given].
    /// </summary>
    private static int[,] KeepAtLeastOnePerClass(int[,] joint, int k)
    {
        var m = new double[k, k];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++) m[j, i] = joint[i, j]; // transpose
        var result = new int[k, k];
        for (var col = 0; col < k; col++)
        {
            var diagonal = m[col, col];
            var raised = Math.Max(diagonal, 1);
            var nonZero = 0;
            for (var row = 0; row < k; row++) if (m[row, col] != 0) nonZero++;
            var share = (raised - diagonal) / Math.Max(nonZero - 1.0, 1.0);
            for (var row = 0; row < k; row++)
                result[row, col] = row == col ? (int)raised : (int)Math.Max(0, m[row, col] - share);
        }
        return result;
    }

    /// <summary>Rounds while keeping the (rounded) sum, moving the largest residuals first (cleanlab's round_preserving_sum).</summary>
    public static int[] RoundPreservingSum(double[] values)
    {
        var ints = values.Select(v => Math.Round(v, MidpointRounding.ToEven)).ToArray();
        var target = Math.Round(values.Sum(), MidpointRounding.ToEven);
        var sum = Math.Round(ints.Sum(), MidpointRounding.ToEven);
        while (Math.Abs(sum - target) > Epsilon)
        {
            var diff = Math.Round(target - sum, MidpointRounding.ToEven);
            var step = diff < 0 ? -1 : 1;
            var changes = Math.Min((int)Math.Abs(diff), values.Length);
            var order = Enumerable.Range(0, values.Length)
                .OrderBy(i => step > 0 ? ints[i] - values[i] : values[i] - ints[i]).ThenBy(i => i); // ties by the lower index
            foreach (var i in order.Take(changes)) ints[i] += step;
            sum = Math.Round(ints.Sum(), MidpointRounding.ToEven);
        }
        return ints.Select(v => (int)v).ToArray();
    }

    /// <summary>The most probable class; with <paramref name="favoured"/> that class gets +1e-6 first (cleanlab's tie rule).</summary>
    private static int ArgMax(float[] row, int? favoured)
    {
        var best = 0;
        var bestValue = double.NegativeInfinity;
        for (var j = 0; j < row.Length; j++)
        {
            var v = row[j] + (j == favoured ? Epsilon : 0);
            if (v > bestValue) (best, bestValue) = (j, v);
        }
        return best;
    }

    private static void Check(IReadOnlyList<int> labels, IReadOnlyList<float[]> p, int classes)
    {
        if (classes < 2) throw new CadreException("label issues need at least two classes");
        if (labels.Count != p.Count) throw new ArgumentException($"{labels.Count} labels but {p.Count} probability rows");
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes) throw new ArgumentException($"row {i}: label {labels[i]} outside 0..{classes - 1}");
            if (p[i].Length != classes) throw new ArgumentException($"row {i}: {p[i].Length} probabilities for {classes} classes");
        }
    }
}
