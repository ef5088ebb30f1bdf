using System.Text.Json;
using Cadre.Tests.Infrastructure;
using Cadre.Tokenizers;

namespace Cadre.Tests.Tokenizers;

public sealed class SentencePieceBpeTokenizerTests
{
    private static string Stories(string file) => Path.Combine(SharedData.Require("models/stories260k"), file);

    [Fact]
    public void ModelFileMatchesTheSentencePieceLibrary()
    {
        var tokenizer = SentencePieceModelFile.Read(Stories("tok512.model"));
        var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", "tokenizers", "tok512-sentencepiece.json")));
        var cases = golden.RootElement.GetProperty("cases").EnumerateArray().ToArray();
        Assert.True(cases.Length > 10);
        foreach (var c in cases)
        {
            var text = c.GetProperty("text").GetString()!;
            var expected = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var ids = tokenizer.Encode(text);
            Assert.True(expected.SequenceEqual(ids), $"'{text}': expected [{string.Join(", ", expected)}], got [{string.Join(", ", ids)}]");
            Assert.Equal(c.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void Llama2cFileAndModelFileGiveIdenticalIds()
    {
        var fromBin = Llama2cTokenizerFile.Read(Stories("tok512.bin"));
        var fromModel = SentencePieceModelFile.Read(Stories("tok512.model"));
        Assert.Equal(512, fromBin.VocabularySize);
        Assert.Equal(fromModel.VocabularySize, fromBin.VocabularySize);
        Assert.Equal((1, 2), (fromBin.BosId, fromBin.EosId));
        Assert.Equal((fromModel.BosId, fromModel.EosId), (fromBin.BosId, fromBin.EosId));
        // tok512.model removes extra spaces and run.c does not; these texts have none, so both must agree.
        string[] texts = ["Once upon a time, there was a little girl named Lily.", "héllo 🙂", "日本語 and\ttabs\n",
            "Lily's mom said, \"Let's go!\"", "<s> is text", "x", ""];
        foreach (var text in texts)
        {
            Assert.Equal(fromModel.Encode(text, addBos: true, addEos: true), fromBin.Encode(text, addBos: true, addEos: true));
            Assert.Equal(text, fromBin.Decode(fromBin.Encode(text)));
        }
    }

    [Fact]
    public void RoundTripsTextThroughByteFallback()
    {
        var tokenizer = Llama2cTokenizerFile.Read(Stories("tok512.bin"));
        var ids = tokenizer.Encode("héllo 🙂", addBos: true, addEos: false);
        Assert.Equal(tokenizer.BosId, ids[0]);
        // 🙂 is outside the 512-piece vocabulary: its four UTF-8 bytes come back as <0xF0> <0x9F> <0x99> <0x82>.
        Assert.Equal(["<0xF0>", "<0x9F>", "<0x99>", "<0x82>"], ids.TakeLast(4).Select(id => tokenizer.Vocabulary.Pieces[id].Text));
        Assert.Equal("héllo 🙂", tokenizer.Decode(ids));
        // run.c's tokenizer keeps runs of spaces (tok512.model would collapse them).
        Assert.Equal("two  spaces ", tokenizer.Decode(tokenizer.Encode("two  spaces ")));
    }

    [Fact]
    public void StreamHoldsBackPartialCharactersAndStripsTheSpaceAfterBos()
    {
        var tokenizer = Llama2cTokenizerFile.Read(Stories("tok512.bin"));
        var ids = tokenizer.Encode("Once 🙂 more", addBos: true, addEos: false);
        var stream = new TokenTextStream(tokenizer, ids[0]);
        var chunks = ids.Skip(1).Select(stream.Append).Append(stream.Flush()).ToList();
        Assert.Equal("Once 🙂 more", string.Concat(chunks));
        Assert.Equal("Once", chunks[0]);
        Assert.Contains(chunks, c => c.Length == 0); // the first bytes of 🙂 complete nothing yet
        Assert.Contains("🙂", chunks);

        var afterPrompt = new TokenTextStream(tokenizer, previousId: ids[1]);
        Assert.Equal(" more", string.Concat(tokenizer.Encode("more").Select(afterPrompt.Append)));
    }

    [Fact]
    public void MergesByBestScoreThenLeftmost()
    {
        var byScore = Tiny(("▁", 0), ("a", 0), ("b", 0), ("c", 0), ("ab", -1), ("bc", 0));
        Assert.Equal(["▁", "a", "bc"], Pieces(byScore, "abc"));
        // ab and bc tie: the leftmost merges first, then ▁ab can form; the rightmost first would give ▁ a bc.
        var byPosition = Tiny(("▁", 0), ("a", 0), ("b", 0), ("c", 0), ("ab", -1), ("bc", -1), ("▁ab", -2));
        Assert.Equal(["▁ab", "c"], Pieces(byPosition, "abc"));
        Assert.Equal(["▁", "<0x7A>"], Pieces(byPosition, "z")); // byte fallback
        Assert.Equal("ab zbc", byPosition.Decode(byPosition.Encode("ab zbc", addBos: true, addEos: true)));
        // Without ../shared too: every character outside the vocabulary survives as UTF-8 bytes.
        Assert.Equal("héllo 🙂", byPosition.Decode(byPosition.Encode("héllo 🙂")));
        var stream = new TokenTextStream(byPosition, byPosition.BosId);
        Assert.Equal("héllo 🙂", string.Concat(byPosition.Encode("héllo 🙂").Select(stream.Append)) + stream.Flush());
    }

    private static string[] Pieces(SentencePieceBpeTokenizer tokenizer, string text) =>
        tokenizer.Encode(text).Select(id => tokenizer.Vocabulary.Pieces[id].Text).ToArray();

    [Fact]
    public void BadFilesAreRefusedNamingTheFile()
    {
        using var dir = new TempDir();
        var truncated = dir.File("tokenizer.bin");
        File.WriteAllBytes(truncated, [8, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, (byte)'a']);
        Assert.False(Llama2cTokenizerFile.LooksLikeOne(truncated));
        var e = Assert.Throws<CadreException>(() => Llama2cTokenizerFile.Read(truncated));
        Assert.Contains("tokenizer.bin", e.Message);

        var garbage = dir.File("tokenizer.model");
        File.WriteAllBytes(garbage, [0x0A, 0x40, 0x01]);
        e = Assert.Throws<CadreException>(() => SentencePieceBpeTokenizer.Load(garbage));
        Assert.Contains("tokenizer.model", e.Message);

        // A unigram model (trainer_spec.model_type = 1) is not BPE: field 1 piece "a", field 2 { model_type: 1 }.
        var unigram = dir.File("unigram.model");
        File.WriteAllBytes(unigram, [0x0A, 0x03, 0x0A, 0x01, (byte)'a', 0x12, 0x02, 0x18, 0x01]);
        e = Assert.Throws<CadreException>(() => SentencePieceModelFile.Read(unigram));
        Assert.Contains("UNIGRAM", e.Message);
    }

    /// <summary>A vocabulary of &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, 256 byte pieces and the given pieces.</summary>
    private static SentencePieceBpeTokenizer Tiny(params (string Text, float Score)[] pieces)
    {
        var all = new List<Piece> { new("<unk>", 0, PieceType.Unknown), new("<s>", 0, PieceType.Control), new("</s>", 0, PieceType.Control) };
        all.AddRange(Enumerable.Range(0, 256).Select(b => new Piece($"<0x{b:X2}>", 0, PieceType.Byte)));
        all.AddRange(pieces.Select(p => new Piece(p.Text, p.Score, PieceType.Normal)));
        return new SentencePieceBpeTokenizer(new SentencePieceVocabulary(all, 0, 1, 2), new NormalizerOptions());
    }
}
