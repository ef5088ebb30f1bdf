using System.Text.Json;
using Cadre.Util;

namespace Cadre.Tokenizers.WordPiece;

/// <summary>
/// Reads a Hugging Face tokenizer folder: <c>vocab.txt</c> or <c>tokenizer.json</c> for the vocabulary, and the
/// settings from <c>tokenizer_config.json</c>, falling back to <c>tokenizer.json</c>'s normalizer (as
/// <c>BertTokenizerFast</c> does, the former wins), plus sentence-transformers' <c>sentence_bert_config.json</c>
/// for the sequence length it truncates to.
/// </summary>
internal static class WordPieceFiles
{
    // transformers writes int(1e30) as model_max_length when a tokenizer has no limit of its own.
    private const long NoLimitSentinel = 1_000_000;

    public static WordPieceSettings ReadSettings(string directory)
    {
        var config = JsonFile.ReadIfExists(Path.Combine(directory, "tokenizer_config.json"));
        var fast = JsonFile.ReadIfExists(Path.Combine(directory, "tokenizer.json"));
        var sbert = JsonFile.ReadIfExists(Path.Combine(directory, "sentence_bert_config.json"));
        var settings = new WordPieceSettings();
        var errors = new List<string>();

        if (fast is not null)
        {
            settings = FromTokenizerJson(fast, settings);
            errors.AddRange(fast.Errors);
        }
        if (config is not null)
        {
            var tokenizerClass = config.String("tokenizer_class");
            if (tokenizerClass is not null && !tokenizerClass.Contains("Bert", StringComparison.Ordinal)
                && !tokenizerClass.Contains("WordPiece", StringComparison.Ordinal))
                errors.Add($"tokenizer_config.json: tokenizer_class: {tokenizerClass} is not a WordPiece (BERT) tokenizer; Cadre reads only WordPiece vocabularies for BERT-family models");
            settings = settings with
            {
                DoLowerCase = config.Bool("do_lower_case") ?? settings.DoLowerCase,
                StripAccents = config.Has("strip_accents") ? config.Bool("strip_accents") : settings.StripAccents,
                TokenizeChineseChars = config.Bool("tokenize_chinese_chars") ?? settings.TokenizeChineseChars,
                DoBasicTokenize = config.Bool("do_basic_tokenize") ?? settings.DoBasicTokenize,
                UnknownToken = config.Token("unk_token") ?? settings.UnknownToken,
                ClassificationToken = config.Token("cls_token") ?? settings.ClassificationToken,
                SeparatorToken = config.Token("sep_token") ?? settings.SeparatorToken,
                PaddingToken = config.Token("pad_token") ?? settings.PaddingToken,
                MaskToken = config.Token("mask_token") ?? settings.MaskToken,
            };
            if (config.Double("model_max_length") is { } max and < NoLimitSentinel)
                settings = settings with { MaxLength = (int)max };
            errors.AddRange(config.Errors);
        }
        if (sbert is not null)
        {
            // sentence-transformers truncates to max_seq_length, below the tokenizer's own limit.
            if (sbert.Int("max_seq_length") is { } seq)
                settings = settings with { MaxLength = seq };
            if (sbert.Bool("do_lower_case") is true)
                settings = settings with { DoLowerCase = true };
            errors.AddRange(sbert.Errors);
        }
        errors.AddRange(settings.Validate());
        if (errors.Count > 0)
            throw new CadreException($"tokenizer in {directory} is invalid:\n  " + string.Join("\n  ", errors));
        return settings;
    }

    /// <summary>Returns the vocabulary as one token per id (empty where an id is unused).</summary>
    public static string[] ReadVocabulary(string directory)
    {
        var vocabPath = Path.Combine(directory, "vocab.txt");
        if (File.Exists(vocabPath))
            return File.ReadAllLines(vocabPath);
        var fastPath = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(fastPath))
            throw new CadreException($"{directory}: no vocab.txt or tokenizer.json: a BERT tokenizer needs one of them");
        var fast = JsonFile.Read(fastPath);
        if (!fast.Root.TryGetProperty("model", out var model) || !model.TryGetProperty("vocab", out var vocab)
            || vocab.ValueKind != JsonValueKind.Object)
            throw new CadreException("tokenizer.json: model.vocab: missing; expected a WordPiece vocabulary object");
        var pairs = new List<(string Token, int Id)>();
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                throw new CadreException($"tokenizer.json: model.vocab.{entry.Name}: must be a non-negative integer id");
            pairs.Add((entry.Name, id));
        }
        var tokens = new string[pairs.Count == 0 ? 0 : pairs.Max(p => p.Id) + 1];
        Array.Fill(tokens, string.Empty);
        foreach (var (token, id) in pairs)
            tokens[id] = token;
        return tokens;
    }

    private static WordPieceSettings FromTokenizerJson(JsonFile fast, WordPieceSettings settings)
    {
        if (fast.Root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.Object)
        {
            var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is not null && type != "WordPiece")
                fast.Errors.Add($"tokenizer.json: model.type: {type} is not WordPiece; Cadre reads only WordPiece vocabularies for BERT-family models");
            if (model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String)
                settings = settings with { UnknownToken = unk.GetString()! };
            if (model.TryGetProperty("max_input_chars_per_word", out var max) && max.ValueKind == JsonValueKind.Number
                && max.TryGetInt32(out var m))
                settings = settings with { MaxInputCharsPerWord = m };
        }
        if (fast.Root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object
            && normalizer.TryGetProperty("type", out var nt) && nt.GetString() == "BertNormalizer")
        {
            bool? Flag(string name) => normalizer.TryGetProperty(name, out var v)
                && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
            settings = settings with
            {
                DoLowerCase = Flag("lowercase") ?? settings.DoLowerCase,
                StripAccents = Flag("strip_accents"),
                TokenizeChineseChars = Flag("handle_chinese_chars") ?? settings.TokenizeChineseChars,
            };
        }
        return settings;
    }
}
