using System.Globalization;
using Cadre.Tensors;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>
/// Non-finite numbers (NaN, ±Inf) in weights: what a diverged run leaves. A specialist with them answers NaN for
/// every input, so they are looked for during training (<see cref="Optimization"/>) and once more in the files
/// about to be committed, and a run that has them stores nothing.
/// </summary>
public static class FiniteCheck
{
    /// <summary>The first floating-point tensor with a non-finite value, by name, or null when all are finite.</summary>
    public static string? FirstNonFinite(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (name, t) in tensors)
            if (t.is_floating_point() && t.numel() > 0 && !isfinite(t).all().item<bool>())
                return name;
        return null;
    }

    /// <summary>
    /// Reads back every <c>.safetensors</c> file in <paramref name="folder"/> (a staged specialist, before its commit)
    /// and refuses it, naming the file and tensor, when any value is not finite. The bytes are checked in place in the
    /// file's map (<see cref="SafetensorsReader.FirstNonFinite"/>, as imports check them): no tensor is made.
    /// </summary>
    public static void RequireFiniteFiles(string folder, string specialist)
    {
        foreach (var file in Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal))
        {
            using var reader = SafetensorsReader.Open(file);
            foreach (var info in reader.Tensors)
                if (reader.FirstNonFinite(info.Name) >= 0)
                    throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                        $"{specialist}: training diverged: tensor '{info.Name}' of {Path.GetFileName(file)} holds NaN or infinite values; nothing was stored. Lower the learning rate and train again"));
        }
    }
}

/// <summary>A run whose weights or loss became non-finite: nothing is stored, and nothing is kept to resume.</summary>
public sealed class TrainingDivergedException(string message) : CadreException(message);
