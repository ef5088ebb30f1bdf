using Cadre.Tests.Infrastructure;
using Cadre.Tokenizers.WordPiece;

namespace Cadre.Tests.Tokenizers.WordPiece;

public sealed class BertWordPieceTokenizerTests
{
    private static readonly string[] Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "un", "##aff", "##able", ",", "!",
        "cafe", "café", "Hello", "中", "国", "x", "##x",
    ];

    [Fact]
    public void EncodesWithSpecialTokensAndGreedyLongestMatchPieces()
    {
        var tokenizer = BertWordPieceTokenizer.Create(Vocabulary, new WordPieceSettings());
        Assert.Equal(["hello", ",", "un", "##aff", "##able", "world", "!"], tokenizer.Tokenize("Hello, unaffable WORLD!"));
        Assert.Equal([2, 5, 10, 7, 8, 9, 6, 11, 3], tokenizer.Encode("Hello, unaffable WORLD!"));
        Assert.Equal(["[UNK]", "中", "国"], tokenizer.Tokenize("unknown中国"));
    }

    [Fact]
    public void SettingsDecideCaseAccentsAndCjk()
    {
        var cased = BertWordPieceTokenizer.Create(Vocabulary, new WordPieceSettings { DoLowerCase = false });
        Assert.Equal(["Hello", "café", "[UNK]"], cased.Tokenize("Hello café HELLO"));
        var keepAccents = BertWordPieceTokenizer.Create(Vocabulary, new WordPieceSettings { StripAccents = false });
        Assert.Equal(["café", "cafe"], keepAccents.Tokenize("Café CAFE"));
        var joined = BertWordPieceTokenizer.Create(Vocabulary, new WordPieceSettings { TokenizeChineseChars = false });
        Assert.Equal(["[UNK]"], joined.Tokenize("中国"));
    }

    [Fact]
    public void WordsOverTheCharacterLimitAreOneUnknownToken()
    {
        var tokenizer = BertWordPieceTokenizer.Create(Vocabulary, new WordPieceSettings { MaxInputCharsPerWord = 5 });
        Assert.Equal(["x", "##x", "##x", "##x", "##x"], tokenizer.Tokenize("xxxxx"));
        Assert.Equal(["[UNK]"], tokenizer.Tokenize("xxxxxx"));
    }

    [Fact]
    public void BatchIsPaddedOnTheRightWithMaskAndTypes()
    {
        var tokenizer = BertWordPieceTokenizer.Create(Vocabulary, new WordPieceSettings { MaxLength = 4 });
        var batch = tokenizer.EncodeBatch(["hello", "hello world hello world", ""]);
        Assert.Equal((3, 4), (batch.BatchSize, batch.Length));
        Assert.Equal([2L, 5, 3, 0, 2, 5, 6, 3, 2, 3, 0, 0], batch.InputIds);
        Assert.Equal([1L, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0], batch.AttentionMask);
        Assert.All(batch.TokenTypeIds, t => Assert.Equal(0, t));
        Assert.Equal([3, 4, 2], batch.Lengths);
        var pair = tokenizer.Encode("hello", "world", maxLength: 10);
        Assert.Equal([2, 5, 3, 6, 3], pair.Ids);
        Assert.Equal([0, 0, 0, 1, 1], pair.TypeIds);
    }

    [Fact]
    public void ReadsSettingsFromTokenizerConfigAndSentenceTransformersFiles()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("vocab.txt"), Vocabulary);
        File.WriteAllText(dir.File("tokenizer_config.json"),
            """{"do_lower_case": false, "strip_accents": true, "model_max_length": 1000000000000000019884624838656, "unk_token": {"content": "[UNK]", "__type": "AddedToken"}}""");
        File.WriteAllText(dir.File("sentence_bert_config.json"), """{"max_seq_length": 128, "do_lower_case": false}""");
        var tokenizer = BertWordPieceTokenizer.Load(dir.Path);
        Assert.False(tokenizer.Settings.DoLowerCase);
        Assert.True(tokenizer.Settings.StripAccents);
        Assert.Equal(128, tokenizer.Settings.MaxLength);
        Assert.Equal(["Hello", "cafe"], tokenizer.Tokenize("Hello café"));
    }

    [Fact]
    public void ReadsTheVocabularyAndNormalizerFromTokenizerJsonAlone()
    {
        using var dir = new TempDir();
        var vocab = "{" + string.Join(", ", Vocabulary.Select((t, i) => $"\"{t}\": {i}")) + "}";
        File.WriteAllText(dir.File("tokenizer.json"), """
            {"normalizer": {"type": "BertNormalizer", "lowercase": false, "strip_accents": null, "handle_chinese_chars": true},
             "model": {"type": "WordPiece", "unk_token": "[UNK]", "max_input_chars_per_word": 100, "vocab": VOCAB}}
            """.Replace("VOCAB", vocab, StringComparison.Ordinal));
        var tokenizer = BertWordPieceTokenizer.Load(dir.Path);
        Assert.Equal(Vocabulary.Length, tokenizer.VocabularySize);
        Assert.Equal(["Hello", "[UNK]"], tokenizer.Tokenize("Hello HELLO"));
    }

    [Fact]
    public void BadTokenizerFilesReportEveryProblemWithItsField()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("vocab.txt"), Vocabulary);
        File.WriteAllText(dir.File("tokenizer_config.json"),
            """{"do_lower_case": "yes", "tokenize_chinese_chars": 3, "model_max_length": 1, "tokenizer_class": "RobertaTokenizer"}""");
        var error = Assert.Throws<CadreException>(() => BertWordPieceTokenizer.Load(dir.Path));
        Assert.Contains("tokenizer_config.json: do_lower_case: must be true or false", error.Message);
        Assert.Contains("tokenizer_config.json: tokenize_chinese_chars: must be true or false", error.Message);
        Assert.Contains("tokenizer_config.json: model_max_length: must be at least 2", error.Message);
        Assert.Contains("tokenizer_class: RobertaTokenizer is not a WordPiece", error.Message);

        File.WriteAllText(dir.File("tokenizer_config.json"), """{"cls_token": "<s>"}""");
        error = Assert.Throws<CadreException>(() => BertWordPieceTokenizer.Load(dir.Path));
        Assert.Equal("vocab.txt: cls_token '<s>' is not in the vocabulary", error.Message);
    }

    [Fact]
    public void CanonicalDecompositionWorksWithoutIcu()
    {
        Assert.Equal("e\u0301", CanonicalDecomposition.Decompose("é"));
        Assert.Equal("\u1112\u1161\u11AB", CanonicalDecomposition.Decompose("한"));
        Assert.Equal("s\u0323\u0307", CanonicalDecomposition.Decompose("ṩ"));
        // Canonical ordering: below-dot (class 220) moves before acute (230).
        Assert.Equal("e\u0323\u0301", CanonicalDecomposition.Decompose("é\u0323"));
        Assert.Equal("plain ascii", CanonicalDecomposition.Decompose("plain ascii"));
    }
}
