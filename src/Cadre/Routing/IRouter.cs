using static TorchSharp.torch;
using Cadre.Util;

namespace Cadre.Routing;

/// <summary>
/// The rows a router learns from: base embeddings (N, D) of every specialist's routing sample, the specialist each
/// row belongs to (<see cref="Owner"/>, an index into <see cref="Specialists"/>), and a group inside it
/// (<see cref="Group"/>: the row's class for classification specialists, else 0) for routers that keep prototypes.
/// </summary>
public sealed record RouterData(IReadOnlyList<string> Specialists, int Dimension, float[] Embeddings, int[] Owner, int[] Group)
{
    public int Rows => Owner.Length;

    /// <summary>The (N, D) embeddings as a new tensor in the caller's dispose scope.</summary>
    public Tensor Tensor() => tensor(Embeddings).reshape(Rows, Dimension); // (N, D)

    /// <summary>The rows <paramref name="keep"/> says, in order.</summary>
    public RouterData Take(IReadOnlyList<int> keep)
    {
        var e = new float[keep.Count * Dimension];
        for (var k = 0; k < keep.Count; k++)
            Array.Copy(Embeddings, keep[k] * Dimension, e, k * Dimension, Dimension);
        return this with { Embeddings = e, Owner = [.. keep.Select(i => Owner[i])], Group = [.. keep.Select(i => Group[i])] };
    }
}

/// <summary>
/// What a router says about N inputs: one logit per specialist (N, S), to be calibrated by a temperature, and for
/// routers that can tell how well their training data covers an input, each input's similarity to the nearest
/// thing they were built from (cosine, higher is more familiar). Without it, abstention watches the calibrated top
/// probability instead.
/// </summary>
public sealed record RouterScores(float[][] Logits, float[]? Similarity);

/// <summary>
/// A fitted router: given base embeddings of texts, scores per specialist. Choosing, calibrating and abstaining are
/// the same for every router (<see cref="SpecialistRouter"/>, <see cref="RouterCalibration"/>).
/// </summary>
public interface IRouter : IDisposable
{
    /// <summary>The method's name in <see cref="Routers.All"/>.</summary>
    string Method { get; }

    /// <param name="embeddings">(N, D) base embeddings</param>
    RouterScores Score(Tensor embeddings);

    /// <summary>The tensors <see cref="IRouterMethod.Load"/> restores, by name; they stay the router's.</summary>
    IReadOnlyDictionary<string, Tensor> State();

    /// <summary>Numbers the router keeps (prototype coordinates or weights), for the suite's parameter count.</summary>
    long ParameterCount { get; }
}

/// <summary>One way to route: how it is fitted on specialists' routing samples, and how it comes back from its file.</summary>
public interface IRouterMethod
{
    /// <summary>snake_case name, as <c>cadre router build --method</c> takes it.</summary>
    string Name { get; }

    /// <summary>One line for <c>--help</c> and docs.</summary>
    string Description { get; }

    /// <summary>The fewest specialists the method can tell apart (a classifier needs two).</summary>
    int MinimumSpecialists { get; }

    /// <summary>Fits the router (seeded: the same data and seed give the same router).</summary>
    IRouter Fit(RouterData data, int seed);

    /// <summary>Restores a router from its saved tensors, checking names and shapes; the tensors stay the caller's.</summary>
    IRouter Load(IReadOnlyDictionary<string, Tensor> state, int specialists, int dimension, string source);
}

/// <summary>The explicit registry of routing methods (no assembly scanning); a new router is one folder and one line here.</summary>
public static class Routers
{
    public static readonly IReadOnlyList<IRouterMethod> All =
    [
        new Prototype.PrototypeRouterMethod(),
        new Learned.LearnedRouterMethod(),
    ];

    /// <summary>The method a router is built with when none is named.</summary>
    public const string Default = "prototype";

    public static IRouterMethod Get(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new CadreException($"unknown routing method '{name}'{Suggest.DidYouMean(name, All.Select(m => m.Name))}; known: {string.Join(", ", All.Select(m => m.Name))}");
}
