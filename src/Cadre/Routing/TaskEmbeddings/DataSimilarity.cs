using Cadre.Specialists;
using static TorchSharp.torch;

namespace Cadre.Routing.TaskEmbeddings;

/// <summary>
/// How close two tasks' inputs are, labels aside: the squared maximum mean discrepancy (Gretton et al. 2012) between
/// their unit-length base embeddings under a Gaussian kernel exp(−‖a − b‖² / σ²), biased (V-statistic) estimate,
/// so 0 means the same distribution and larger means further apart. σ² is the median squared distance between the
/// query task's own rows (the median heuristic), fixed for one ranking so every candidate is measured alike.
/// </summary>
public static class DataSimilarity
{
    /// <summary>σ² for a query task: the median pairwise squared distance of its unit embeddings (1 when it has one row).</summary>
    public static double Bandwidth(RoutingSample query)
    {
        using var scope = NewDisposeScope();
        var x = Unit(query);
        if (x.shape[0] < 2) return 1;
        var d = Squared(x, x);                                                   // (N, N)
        var upper = d.masked_select(ones_like(d, dtype: ScalarType.Bool).triu(1));
        return Math.Max(1e-6, upper.median().item<float>());
    }

    public static double Mmd(RoutingSample a, RoutingSample b, double bandwidth)
    {
        using var scope = NewDisposeScope();
        var (x, y) = (Unit(a), Unit(b));
        double K(Tensor p, Tensor q) => (-Squared(p, q) / bandwidth).exp().mean().item<float>();
        return Math.Max(0, K(x, x) + K(y, y) - 2 * K(x, y));
    }

    private static Tensor Unit(RoutingSample s) =>
        nn.functional.normalize(tensor(s.Embeddings).reshape(s.Rows, s.Dimension), p: 2, dim: 1); // (N, D)

    /// <summary>‖p_i − q_j‖² for unit rows: 2 − 2 p·q.</summary>
    private static Tensor Squared(Tensor p, Tensor q) => (2 - 2 * p.mm(q.t())).clamp_min(0); // (N, M)
}
