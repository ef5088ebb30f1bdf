namespace Cadre.Tokenizers.WordPiece;

/// <summary>
/// How a BERT-family checkpoint tokenizes, as its <c>tokenizer_config.json</c> (Hugging Face) says. The defaults
/// are those of Hugging Face's <c>BertTokenizer</c>, so a folder with only <c>vocab.txt</c> behaves as there.
/// </summary>
public sealed record WordPieceSettings
{
    /// <summary>Lower-case each word before WordPiece (<c>do_lower_case</c>, default true).</summary>
    public bool DoLowerCase { get; init; } = true;

    /// <summary>NFD then drop Mn marks (<c>strip_accents</c>); null (the default) means "when lower-casing".</summary>
    public bool? StripAccents { get; init; }

    /// <summary>Space out CJK ideographs so each is its own word (<c>tokenize_chinese_chars</c>, default true).</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>Clean, split on punctuation and normalize before WordPiece (<c>do_basic_tokenize</c>, default true).</summary>
    public bool DoBasicTokenize { get; init; } = true;

    /// <summary>
    /// Longest sequence, special tokens included (<c>model_max_length</c>, or sentence-transformers'
    /// <c>max_seq_length</c> when present); longer input is truncated. Default 512.
    /// </summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>Longer words become one unknown token (<c>max_input_chars_per_word</c>, default 100 code points).</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    public string UnknownToken { get; init; } = "[UNK]";
    public string ClassificationToken { get; init; } = "[CLS]";
    public string SeparatorToken { get; init; } = "[SEP]";
    public string PaddingToken { get; init; } = "[PAD]";
    public string MaskToken { get; init; } = "[MASK]";

    /// <summary>Whether accents are stripped once <see cref="StripAccents"/> and lower-casing are combined.</summary>
    public bool EffectiveStripAccents => StripAccents ?? DoLowerCase;

    /// <summary>The special tokens, which are matched verbatim in input text as Hugging Face does.</summary>
    public IReadOnlyList<string> SpecialTokens =>
        [UnknownToken, ClassificationToken, SeparatorToken, PaddingToken, MaskToken];

    /// <summary>Every problem at once, each prefixed with its place in tokenizer_config.json.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxLength < 2)
            errors.Add($"tokenizer_config.json: model_max_length: must be at least 2 (room for [CLS] and [SEP]), found {MaxLength}");
        if (MaxInputCharsPerWord < 1)
            errors.Add($"tokenizer_config.json: max_input_chars_per_word: must be at least 1, found {MaxInputCharsPerWord}");
        foreach (var (field, token) in new[] { ("unk_token", UnknownToken), ("cls_token", ClassificationToken),
                     ("sep_token", SeparatorToken), ("pad_token", PaddingToken), ("mask_token", MaskToken) })
        {
            if (string.IsNullOrWhiteSpace(token))
                errors.Add($"tokenizer_config.json: {field}: must be a non-empty token");
        }
        return errors;
    }
}
