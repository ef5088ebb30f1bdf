using System.Security.Cryptography;
using System.Text.Json;
using Cadre.Tests.Infrastructure;
using Cadre.Tokenizers.WordPiece;

namespace Cadre.Tests.Tokenizers.WordPiece;

/// <summary>
/// Token ids on the real all-MiniLM-L6-v2 vocabulary against golden ids from an independent pure-Python
/// re-implementation of BERT's tokenization.py (tools/reference/bert/make_tokenizer_golden.py).
/// </summary>
public sealed class WordPieceGoldenTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", "bert", "wordpiece_minilm.json"))).RootElement;

    [Fact]
    public void EveryGoldenSentenceMatchesTheReferenceInEveryConfiguration()
    {
        var folder = MiniLmFolder();
        var tokenizers = new Dictionary<string, BertWordPieceTokenizer>
        {
            // The folder's own files decide "uncased"; the other configurations override its settings.
            ["uncased"] = BertWordPieceTokenizer.Load(folder),
        };
        var vocabulary = File.ReadAllLines(Path.Combine(folder, "vocab.txt"));
        foreach (var config in Golden.GetProperty("configs").EnumerateObject())
        {
            if (tokenizers.ContainsKey(config.Name))
                continue;
            var c = config.Value;
            tokenizers[config.Name] = BertWordPieceTokenizer.Create(vocabulary, new WordPieceSettings
            {
                DoLowerCase = c.GetProperty("do_lower_case").GetBoolean(),
                StripAccents = c.GetProperty("strip_accents").ValueKind == JsonValueKind.Null ? null : c.GetProperty("strip_accents").GetBoolean(),
                TokenizeChineseChars = c.GetProperty("tokenize_chinese_chars").GetBoolean(),
            });
        }

        var failures = new List<string>();
        var count = 0;
        foreach (var testCase in Golden.GetProperty("cases").EnumerateArray())
        {
            var text = testCase.GetProperty("text").GetString()!;
            var config = testCase.GetProperty("config").GetString()!;
            var expected = testCase.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var actual = tokenizers[config].Encode(text).ToArray();
            count++;
            if (!expected.SequenceEqual(actual))
                failures.Add($"[{config}] {JsonSerializer.Serialize(text)}\n  expected {string.Join(' ', expected)}\n  actual   {string.Join(' ', actual)}\n  tokens   {string.Join(' ', tokenizers[config].Tokenize(text))}");
        }
        Assert.True(count >= 100, $"golden file holds only {count} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} differ:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void PairsAndTruncationMatchTheReference()
    {
        var tokenizer = BertWordPieceTokenizer.Load(MiniLmFolder());
        foreach (var pair in Golden.GetProperty("pairs").EnumerateArray())
        {
            var maxLength = pair.GetProperty("max_length").ValueKind == JsonValueKind.Null ? (int?)null : pair.GetProperty("max_length").GetInt32();
            var encoded = tokenizer.Encode(pair.GetProperty("text").GetString()!, pair.GetProperty("pair").GetString(), maxLength);
            Assert.Equal(Ints(pair.GetProperty("ids")), encoded.Ids);
            Assert.Equal(Ints(pair.GetProperty("type_ids")), encoded.TypeIds);
        }
        foreach (var item in Golden.GetProperty("truncated").EnumerateArray())
        {
            var maxLength = item.GetProperty("max_length").GetInt32();
            var encoded = tokenizer.Encode(item.GetProperty("text").GetString()!, null, maxLength);
            Assert.Equal(Ints(item.GetProperty("ids")), encoded.Ids);
            Assert.Equal(maxLength, encoded.Ids.Count);
        }
    }

    [Fact]
    public void MiniLmFolderSettingsAreReadFromItsFiles()
    {
        var tokenizer = BertWordPieceTokenizer.Load(MiniLmFolder());
        Assert.Equal(30522, tokenizer.VocabularySize);
        Assert.True(tokenizer.Settings.DoLowerCase);
        Assert.Null(tokenizer.Settings.StripAccents);
        Assert.True(tokenizer.Settings.EffectiveStripAccents);
        Assert.Equal(512, tokenizer.Settings.MaxLength);
        Assert.Equal((101, 102, 0, 100, 103), (tokenizer.ClassificationId, tokenizer.SeparatorId, tokenizer.PaddingId, tokenizer.UnknownId, tokenizer.MaskId));
        Assert.Equal("hello, world!", tokenizer.Decode(tokenizer.Encode("Hello, world!")));
    }

    /// <summary>
    /// A cross-check outside our own reference: ids that Hugging Face's fast tokenizer gives for these inputs with
    /// this vocabulary, as published in another project's parity notes; Microsoft.ML.Tokenizers' stock
    /// BertTokenizer gets all four wrong.
    /// </summary>
    [Theory]
    [InlineData("\U0001F600\U0001F680 \U0001F469\U0001F4BB", new[] { 100, 100 })]
    [InlineData("a\tb\nc\rd", new[] { 1037, 1038, 1039, 1040 })]
    [InlineData("[cls] [mask] [CLS] [MASK]", new[] { 1031, 18856, 2015, 1033, 1031, 7308, 1033, 101, 103 })]
    [InlineData("한국어", new[] { 1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008 })]
    public void MatchesPublishedHuggingFaceIds(string text, int[] expected)
    {
        var tokenizer = BertWordPieceTokenizer.Load(MiniLmFolder());
        Assert.Equal([101, .. expected, 102], tokenizer.Encode(text));
    }

    private static IReadOnlyList<int> Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    private static string MiniLmFolder()
    {
        var folder = SharedData.Require("models/minilm-tokenizer");
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "vocab.txt"))));
        Assert.Equal(Golden.GetProperty("vocab_sha256").GetString(), sha);
        return folder;
    }
}
