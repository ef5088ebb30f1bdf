using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Adapters;

/// <summary>
/// An adapter attached to a live base of its own (training, <c>cadre predict</c>, Fisher estimation): its trainable
/// tensors under their saved (PEFT) key names, its <c>adapter_config.json</c>, and the hooks that put it into the
/// base. Disposing detaches it and frees its tensors. A base that others share never gets one: it reads a saved
/// adapter's contributions instead (<see cref="AdapterFiles.ReadContributions"/>).
/// </summary>
public abstract class AttachedAdapter : IDisposable
{
    /// <summary>PEFT's prefix for a bare model wrapped by <c>get_peft_model</c>: <c>base_model.model.</c>.</summary>
    public const string PeftPrefix = "base_model.model.";

    private readonly List<(AdaptableLinear Site, ISiteAdapter Adapter)> _attached = [];
    private bool _disposed;

    protected AttachedAdapter(IAdapterMethod method, IBaseModel model)
    {
        Method = method;
        Model = model;
    }

    public IAdapterMethod Method { get; }
    public IBaseModel Model { get; }

    /// <summary>Trainable tensors by the key they are saved under; detached leaves owned by this adapter.</summary>
    public abstract IReadOnlyDictionary<string, Parameter> Parameters { get; }

    /// <summary>The <c>adapter_config.json</c> object (PEFT's fields; null for formats PEFT does not have).</summary>
    public abstract JsonObject? PeftConfig { get; }

    /// <summary>The file the tensors are saved in: <c>adapter_model.safetensors</c> for PEFT methods.</summary>
    public virtual string WeightsFile => AdapterFiles.WeightsFile;

    /// <summary>Dropout on (training) or off (evaluation and serving).</summary>
    public bool Training { get; set; }

    public long TrainableParameterCount => Parameters.Values.Sum(p => p.numel());

    /// <summary>The tensors to save, by key; the default is the trainable parameters themselves.</summary>
    public virtual IReadOnlyDictionary<string, Tensor> StateDict() => Parameters.ToDictionary(p => p.Key, p => (Tensor)p.Value);

    /// <summary>Copies saved tensors into this adapter's parameters, checking that keys and shapes agree.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var mine = StateDict();
        AdapterFiles.CheckFits(mine.ToDictionary(p => p.Key, p => p.Value.shape, StringComparer.Ordinal), tensors, source);
        using var _ = no_grad();
        foreach (var (key, p) in mine)
            p.copy_(tensors[key].to(p.dtype));
    }

    protected void Attach(AdaptableLinear site, ISiteAdapter adapter)
    {
        site.Attach(adapter);
        _attached.Add((site, adapter));
    }

    /// <summary>Undoes whatever the adapter did to the base besides site hooks (a prompt, unfrozen weights).</summary>
    protected virtual void Release() { }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (site, adapter) in _attached)
        {
            site.Detach(adapter);
            adapter.Dispose();
        }
        Release();
        foreach (var p in Parameters.Values)
            p.Dispose();
        GC.SuppressFinalize(this);
    }
}
