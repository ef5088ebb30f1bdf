using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Adapters.Lora;

/// <summary>A LoRA adapter attached to a base: one (A, B) pair per chosen site.</summary>
internal sealed class LoraAdapter : AttachedAdapter, IHasDropout
{
    private readonly Dictionary<string, Parameter> _parameters = new(StringComparer.Ordinal);
    private readonly SeededDropout _dropout;
    private readonly JsonObject _config;

    public LoraAdapter(IAdapterMethod method, IBaseModel model, IReadOnlyList<string> sites, int r, double alpha,
                       double dropout, long seed, string baseName) : base(method, model)
    {
        _dropout = new SeededDropout(dropout, seed + 1);
        var scaling = alpha / r;
        using (var scope = NewDisposeScope())
        {
            manual_seed(seed);
            foreach (var name in sites)
            {
                var site = model.Sites[name];
                var a = empty(r, site.InFeatures);                                 // (r, in)
                nn.init.kaiming_uniform_(a, Math.Sqrt(5));                          // nn.Linear's default, as PEFT
                // Parameters take over the tensors' handles; moving them out of the scope keeps them alive.
                var pa = new Parameter(a, requires_grad: true);
                var pb = new Parameter(zeros(site.OutFeatures, r), requires_grad: true); // (out, r)
                pa.MoveToOuterDisposeScope();
                pb.MoveToOuterDisposeScope();
                _parameters[KeyA(name)] = pa;
                _parameters[KeyB(name)] = pb;
                Attach(site, new Site(this, pa, pb, scaling));
            }
        }
        _config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "FEATURE_EXTRACTION",
            ["base_model_name_or_path"] = baseName,
            ["r"] = r,
            ["lora_alpha"] = alpha,
            ["lora_dropout"] = dropout,
            ["target_modules"] = new JsonArray([.. sites.Select(s => (JsonNode)s)]),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
            ["use_rslora"] = false,
            ["use_dora"] = false,
        };
    }

    /// <summary>PEFT's key of a site's A factor (r, in).</summary>
    public static string KeyA(string site) => $"{PeftPrefix}{site}.lora_A.weight";

    /// <summary>PEFT's key of a site's B factor (out, r).</summary>
    public static string KeyB(string site) => $"{PeftPrefix}{site}.lora_B.weight";

    public override IReadOnlyDictionary<string, Parameter> Parameters => _parameters;

    public override JsonObject PeftConfig => _config;

    protected override void Release() => _dropout.Dispose();

    public SeededDropout Dropout => _dropout;

    private sealed class Site(LoraAdapter owner, Parameter a, Parameter b, double scaling) : ISiteAdapter
    {
        public Tensor Apply(Tensor x, Tensor y)
        {
            var h = owner._dropout.Apply(x, owner.Training);
            var delta = nn.functional.linear(nn.functional.linear(h, a), b) * scaling; // (..., in) -> (..., r) -> (..., out)
            return y + delta;
        }

        public void Dispose() { }
    }
}
