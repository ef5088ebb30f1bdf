namespace Cadre.Specialists;

/// <summary>
/// A specialist's head produced NaN or infinity: its weights are broken (a diverged training run, a damaged or hostile
/// file). Every caller refuses to answer: <c>cadre predict</c> prints it as one error line, the server as a 500 problem.
/// </summary>
public sealed class NonFiniteOutputException(string specialist, string task, int row)
    : CadreException($"specialist '{specialist}' produces non-finite output (NaN or infinity) for task '{task}' " +
                     $"(input {row}): its weights are broken; re-import or retrain it")
{
    public string Specialist { get; } = specialist;

    /// <summary>Throws when any value of <paramref name="rows"/> is not finite.</summary>
    public static void Check(string specialist, string task, float[][] rows)
    {
        for (var i = 0; i < rows.Length; i++)
            foreach (var v in rows[i])
                if (!float.IsFinite(v))
                    throw new NonFiniteOutputException(specialist, task, i);
    }
}
