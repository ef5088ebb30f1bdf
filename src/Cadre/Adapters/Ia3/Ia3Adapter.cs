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
            var vector = new Parameter(ones(Shape(site, isFeedForward)), requires_grad: true);
            _parameters[Key(name)] = vector;
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

    /// <summary>PEFT's key of a site's vector.</summary>
    public static string Key(string site) => $"{PeftPrefix}{site}.ia3_l";

    /// <summary>PEFT's shapes: (1, in) scales the input of feed-forward layers, (out, 1) scales other layers' output.</summary>
    public static long[] Shape(AdaptableLinear site, bool feedForward) => feedForward ? [1, site.InFeatures] : [site.OutFeatures, 1];

    public override IReadOnlyDictionary<string, Parameter> Parameters => _parameters;

    public override JsonObject PeftConfig => _config;

    private sealed class Site(Parameter vector, bool scalesInput) : ISiteAdapter
    {
        public Tensor ApplyInput(Tensor x) => scalesInput ? Scale(x) : x;

        public Tensor Apply(Tensor x, Tensor y) => scalesInput ? y : Scale(y);

        private Tensor Scale(Tensor z) => z * vector.flatten();                    // (..., F) * (F)

        public void Dispose() { }
    }
}
