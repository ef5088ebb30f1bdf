namespace Cadre.Models.Llama;

/// <summary>A Hugging Face Llama folder: config.json plus model.safetensors or a sharded index.</summary>
internal static class HuggingFaceLlamaCheckpoint
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The weights file (single or index) of a folder that has config.json, or null.</summary>
    public static string? FindWeights(string folder)
    {
        if (!File.Exists(Path.Combine(folder, "config.json")))
            return null;
        return new[] { IndexFile, SingleFile }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
    }

    public static LlamaLoadPlan Plan(string folder, string weights)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
            throw new CadreException($"{folder}: config.json is missing beside {Path.GetFileName(weights)}");
        var config = LlamaConfigJson.Read(configPath);
        return new LlamaLoadPlan(config, folder, $"Hugging Face checkpoint {weights}", PreferBinTokenizer: false,
            _ => throw new CadreException("safetensors reading arrives with the tensors branch"), _ => false);
    }
}
