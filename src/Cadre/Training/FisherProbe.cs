using Cadre.Models;
using static TorchSharp.torch;

namespace Cadre.Training;

/// <summary>
/// Per-row gradients of a linear site's weight in one backward pass (Goodfellow's trick): attached after the site's
/// other adapters, the probe keeps the site's input x (B, T, in) and adds a zero tensor z (B, T, out) to its
/// output; after a backward, z's gradient is δ = ∂s/∂y, and row b's gradient of the weight is δ_bᵀ x_b (out, in).
/// For a LoRA site that is also ∂s/∂ΔW, since ΔW adds to W.
/// </summary>
internal sealed class FisherProbe : ISiteAdapter
{
    public Tensor? Input { get; private set; }
    public Tensor? Zero { get; private set; }

    public Tensor Apply(Tensor x, Tensor y)
    {
        // Kept out of dispose scopes: the encoder's forward frees its temporaries before the backward runs.
        Release();
        Input = x.detach().DetachFromDisposeScope();
        Zero = zeros_like(y).requires_grad_(true).DetachFromDisposeScope();
        return y + Zero;
    }

    /// <summary>Frees the tensors of the last forward.</summary>
    public void Release()
    {
        Input?.Dispose();
        Zero?.Dispose();
        (Input, Zero) = (null, null);
    }

    /// <summary>Per-row squared gradients of the weight, weighted per row and summed: Σ_b w_b (δ_bᵀ x_b)² (out, in).</summary>
    public static Tensor WeightedSquares(Tensor input, Tensor delta, float[] weights)
    {
        var x = input.dim() == 2 ? input.unsqueeze(1) : input.reshape(input.shape[0], -1, input.shape[^1]);   // (B, T, in)
        var d = delta.dim() == 2 ? delta.unsqueeze(1) : delta.reshape(delta.shape[0], -1, delta.shape[^1]);   // (B, T, out)
        var g = d.transpose(1, 2).bmm(x);                                                                    // (B, out, T) @ (B, T, in) -> (B, out, in)
        var w = tensor(weights).reshape(-1, 1, 1);                                                           // (B, 1, 1)
        return (g.square() * w).sum([0L]);                                                                   // (out, in)
    }

    public void Dispose() => Release();
}
