namespace Cadre.Models;

/// <summary>
/// Recognizes PyTorch pickle checkpoints (<c>pytorch_model.bin</c>, <c>*.pt</c>, <c>*.pth</c>, <c>*.ckpt</c>) by
/// name and by their first bytes only: a zip archive (torch.save since 1.6) or a raw pickle stream (protocol 2-5).
/// Loading a pickle runs whatever code it names, so Cadre never opens one with a pickle reader; it tells the user
/// how to convert it to safetensors once, in Python.
/// </summary>
public static class PickleCheckpoints
{
    private static readonly string[] PickleExtensions = [".pt", ".pth", ".ckpt", ".pkl", ".pickle"];

    /// <summary>True for a file that is, or is named like, a pickle checkpoint.</summary>
    public static bool IsPickle(string path)
    {
        var name = Path.GetFileName(path);
        if (PickleExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase))
            || name.StartsWith("pytorch_model", StringComparison.OrdinalIgnoreCase) && name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return true;
        return File.Exists(path) && HasPickleMagic(path);
    }

    /// <summary>Throws the conversion advice when <paramref name="path"/> is a pickle checkpoint.</summary>
    public static void ThrowIfPickle(string path)
    {
        if (IsPickle(path))
            throw Refusal(path);
    }

    public static CadreException Refusal(string path)
    {
        var name = Path.GetFileName(path);
        return new CadreException(
            $"{path} is a PyTorch pickle checkpoint. Cadre never unpickles files (loading a pickle can run arbitrary code). " +
            "Convert it to safetensors once, in Python, where you trust the file: " +
            $"`import torch; from safetensors.torch import save_file; save_file({{k: v.contiguous() for k, v in torch.load('{name}', weights_only=True).items()}}, 'model.safetensors')` " +
            "(pip install safetensors), or with transformers: " +
            "`AutoModelForCausalLM.from_pretrained(folder).save_pretrained(out_folder, safe_serialization=True)`, " +
            "which also writes config.json and shards large models.");
    }

    private static bool HasPickleMagic(string path)
    {
        Span<byte> head = stackalloc byte[4];
        try
        {
            using var file = File.OpenRead(path);
            if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
                return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        var zip = head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
        // PROTO opcode 0x80, a protocol 2..5, then another opcode: never 0x00, which is how a llama2.c header with a
        // dim such as 640 or 896 (bytes 80 02 00 00 / 80 03 00 00) differs from a pickle.
        var pickle = head[0] == 0x80 && head[1] is >= 2 and <= 5 && head[2] != 0;
        return zip || pickle;
    }
}
