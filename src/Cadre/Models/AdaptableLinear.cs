using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Models;

/// <summary>
/// One adapter's contribution at a linear site. Implementations live in <c>Adapters/</c> (LoRA, (IA)³, ...).
/// <paramref name="rowSlots"/> is null when every row uses this adapter (training), or a (B,) int64 tensor of slot
/// indices into the adapter's own table when one batch mixes specialists (serving); -1 means "no adapter".
/// </summary>
public interface ISiteAdapter : IDisposable
{
    /// <summary>Returns the site output after this adapter: <c>y</c> is the frozen linear's output for <c>x</c>.</summary>
    Tensor Apply(Tensor x, Tensor y, Tensor? rowSlots);

    /// <summary>
    /// Rescales or otherwise transforms the site's input before the frozen linear runs ((IA)³ on feed-forward
    /// layers scales inputs); the default leaves it alone. <see cref="Apply"/> still receives the original input.
    /// </summary>
    Tensor ApplyInput(Tensor x, Tensor? rowSlots) => x;
}

/// <summary>
/// Per-forward routing shared by all sites of one model: which adapter slot each batch row uses. A model sets it
/// for the duration of one forward call; null means all rows share whatever adapters are attached.
/// </summary>
public sealed class AdapterRouting
{
    public Tensor? RowSlots { get; set; }
}

/// <summary>
/// A linear layer of a frozen base model, built adapter-ready: TorchSharp cannot swap sub-modules after
/// construction, so every base creates these at the places adapters may go. The frozen weight keeps the
/// Hugging Face name (<c>weight</c>, <c>bias</c>), so checkpoints load by their public key names.
/// </summary>
public sealed class AdaptableLinear : nn.Module<Tensor, Tensor>
{
    // Field names are the checkpoint key suffixes; TorchSharp registers them by reflection.
#pragma warning disable IDE1006 // snake_case where TorchSharp and Hugging Face demand it
    private readonly Parameter weight;
    private readonly Parameter? bias;
#pragma warning restore IDE1006
    private readonly List<ISiteAdapter> _adapters = [];

    /// <summary>Creates a site with a zero weight of shape (out, in); loading a checkpoint fills it.</summary>
    public AdaptableLinear(string name, long inFeatures, long outFeatures, bool hasBias, AdapterRouting routing)
        : base(name)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Routing = routing;
        weight = new Parameter(zeros(outFeatures, inFeatures), requires_grad: false); // (out, in)
        bias = hasBias ? new Parameter(zeros(outFeatures), requires_grad: false) : null;
        RegisterComponents();
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public AdapterRouting Routing { get; }
    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    public IReadOnlyList<ISiteAdapter> Adapters => _adapters;

    /// <summary>Attaches an adapter; the site does not own it (the adapter method disposes its tensors).</summary>
    public void Attach(ISiteAdapter adapter) => _adapters.Add(adapter);

    public bool Detach(ISiteAdapter adapter) => _adapters.Remove(adapter);

    public override Tensor forward(Tensor x)
    {
        var input = x;
        foreach (var adapter in _adapters)
            input = adapter.ApplyInput(input, Routing.RowSlots);
        var y = nn.functional.linear(input, weight, bias); // (..., in) @ (in, out) -> (..., out)
        foreach (var adapter in _adapters)
            y = adapter.Apply(x, y, Routing.RowSlots);
        return y;
    }
}
