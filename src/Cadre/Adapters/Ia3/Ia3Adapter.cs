using System.Text.Json.Nodes;
using Cadre.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Cadre.Adapters.Ia3;

/// <summary>An (IA)³ adapter attached to a base: one scaling vector per chosen site.</summary>
internal sealed class Ia3Adapter : AttachedAdapter
{
    private readonly Dictionary<string, Parameter> _parameters = new(StringComparer.Ordinal);
    private readonly JsonObject _config;

    public Ia3Adapter(IAdapterMethod method, IBaseModel model, IReadOnlyList<string> sites, IReadOnlyList<string> feedForward,
                      string baseName) : base(method, model)
    {
        foreach (var name in sites)
        {
            var site = model.Sites[name];
            var isFeedForward = feedForward.Contains(name);
            // PEFT's shapes: (1, in) scales the input of feed-forward layers, (out, 1) scales other layers' output.
            var vector = new Parameter(isFeedForward ? ones(1, site.InFeatures) : ones(site.OutFeatures, 1), requires_grad: true);
            _parameters[$"{PeftPrefix}{name}.ia3_l"] = vector;
            Attach(site, new Site(vector, isFeedForward));
        }
        _config = new JsonObject
        {
            ["peft_type"] = "IA3",
            ["task_type"] = "FEATURE_EXTRACTION",
            ["base_model_name_or_path"] = baseName,
            ["target_modules"] = new JsonArray([.. sites.Select(s => (JsonNode)s)]),
            ["feedforward_modules"] = new JsonArray([.. feedForward.Select(s => (JsonNode)s)]),
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_ia3_weights"] = true,
            ["modules_to_save"] = null,
        };
    }

    public override IReadOnlyDictionary<string, Parameter> Parameters => _parameters;

    public override JsonObject PeftConfig => _config;

    private sealed class Site(Parameter vector, bool scalesInput) : IServableSite
    {
        public SiteContribution Contribution => new ScaleContribution(vector.flatten(), scalesInput);

        public Tensor ApplyInput(Tensor x, Tensor? rowSlots) => scalesInput ? Scale(x, rowSlots) : x;

        public Tensor Apply(Tensor x, Tensor y, Tensor? rowSlots) => scalesInput ? y : Scale(y, rowSlots);

        private Tensor Scale(Tensor z, Tensor? rowSlots)
        {
            var scaled = z * vector.flatten();                                     // (..., F) * (F)
            if (rowSlots is null)
                return scaled;
            var mask = RowSlots.Mask(rowSlots, z.dim(), z.dtype);                  // (B, 1, ...)
            return z + (scaled - z) * mask;
        }

        public void Dispose() { }
    }
}
