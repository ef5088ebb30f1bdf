using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Models;

/// <summary>
/// One adapter attached to a site of a model of its own (training, Fisher probes, <c>cadre predict</c>): it acts on
/// every row. Rows of a shared base that differ per specialist come through the pass's <see cref="ForwardContext"/>
/// instead. Implementations live in <c>Adapters/</c> (LoRA, (IA)³) and <c>Training/</c>.
/// </summary>
public interface ISiteAdapter : IDisposable
{
    /// <summary>Returns the site output after this adapter: <c>y</c> is the frozen linear's output for <c>x</c>.</summary>
    Tensor Apply(Tensor x, Tensor y);

    /// <summary>
    /// Rescales or otherwise transforms the site's input before the frozen linear runs ((IA)³ on feed-forward
    /// layers scales inputs); the default leaves it alone. <see cref="Apply"/> still receives the original input.
    /// </summary>
    Tensor ApplyInput(Tensor x) => x;
}

/// <summary>
/// A linear layer of a frozen base model, built adapter-ready: TorchSharp cannot swap sub-modules after
/// construction, so every base creates these at the places adapters may go. The frozen weight keeps the
/// Hugging Face name (<c>weight</c>, <c>bias</c>), so checkpoints load by their public key names. A site adapts
/// in two ways, in this order: the adapters attached to it (a model of its own: every row), then the per-row
/// tensors the pass's <see cref="ForwardContext"/> holds for it (a shared base serving a mixed batch).
/// </summary>
public sealed class AdaptableLinear : nn.Module<Tensor, ForwardContext, Tensor>
{
    // Field names are the checkpoint key suffixes; TorchSharp registers them by reflection.
#pragma warning disable IDE1006 // snake_case where TorchSharp and Hugging Face demand it
    private readonly Parameter weight;
    private readonly Parameter? bias;
#pragma warning restore IDE1006
    private readonly List<ISiteAdapter> _adapters = [];

    /// <summary>Creates a site with a zero weight of shape (out, in); loading a checkpoint fills it.</summary>
    public AdaptableLinear(string name, long inFeatures, long outFeatures, bool hasBias)
        : base(name)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        weight = new Parameter(zeros(outFeatures, inFeatures), requires_grad: false); // (out, in)
        bias = hasBias ? new Parameter(zeros(outFeatures), requires_grad: false) : null;
        RegisterComponents();
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    public IReadOnlyList<ISiteAdapter> Adapters => _adapters;

    /// <summary>Attaches an adapter; the site does not own it (the adapter method disposes its tensors).</summary>
    public void Attach(ISiteAdapter adapter) => _adapters.Add(adapter);

    public bool Detach(ISiteAdapter adapter) => _adapters.Remove(adapter);

    /// <summary>(..., in) to (..., out), through the attached adapters and then the pass's per-row tensors for this site.</summary>
    public override Tensor forward(Tensor x, ForwardContext context)
    {
        var rows = context.At(this);
        var input = x;
        foreach (var adapter in _adapters)
            input = adapter.ApplyInput(input);
        if (rows is not null)
            input = rows.Input(input);
        var y = nn.functional.linear(input, weight, bias); // (..., in) @ (in, out) -> (..., out)
        foreach (var adapter in _adapters)
            y = adapter.Apply(x, y);
        return rows is null ? y : rows.Output(x, y);
    }
}
