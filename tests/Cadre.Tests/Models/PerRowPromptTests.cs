using Cadre.Models;
using Cadre.Models.Bert;
using Cadre.Tests.Infrastructure;
using Cadre.Tests.Models.UseLite;
using static TorchSharp.torch;

namespace Cadre.Tests.Models;

/// <summary>
/// One batch whose rows carry soft prompts and deep prompts of different lengths, or none (left-padded, masked,
/// positions counted per row, handed to the pass in its <see cref="ForwardContext"/>), embeds every row exactly as
/// the row alone with its own prompt attached to the encoder: BERT (absolute positions), RoBERTa (positions from
/// padding) and USE-lite (timing signal).
/// </summary>
public sealed class PerRowPromptTests(UseLiteFixture useLite) : IClassFixture<UseLiteFixture>
{
    private static readonly string[] Texts = ["the cat sat on the mat", "red", "a dog is not slow and the mat is big", "blue cat", "the"];

    // (input prompt length, deep prompt length) per row: a row has one kind at most, like a specialist.
    private static readonly (int Input, int Deep)[] Rows = [(2, 0), (3, 0), (0, 0), (0, 2), (0, 4)];

    [Fact]
    public void Bert() => Check(BertModel.Load(TinyTask.TinyBert));

    private static void Check(ISentenceEncoder model, bool dispose = true) =>
        Check(model, (rows, context) => model.EmbedBatch([.. rows.Select(i => Texts[i])], 32, context), dispose);

    /// <summary>Tiny RoBERTa has no tokenizer: rows of token ids, right-padded with its pad id.</summary>
    [Fact]
    public void Roberta()
    {
        var model = BertModel.Load(Path.Combine(AppContext.BaseDirectory, "golden", "bert", "tiny-roberta"));
        long[][] ids = [[0, 11, 12, 13, 2], [0, 14, 2], [0, 15, 16, 17, 18, 19, 2], [0, 20, 21, 2], [0, 2]];
        var pad = model.Config.PadTokenId;
        Tensor Embed(int[] rows, ForwardContext? context)
        {
            var width = rows.Max(r => ids[r].Length);
            var flat = rows.SelectMany(r => ids[r].Concat(Enumerable.Repeat((long)pad, width - ids[r].Length))).ToArray();
            var mask = rows.SelectMany(r => Enumerable.Range(0, width).Select(j => j < ids[r].Length ? 1L : 0L)).ToArray();
            return model.Forward(tensor(flat, [rows.Length, width]), tensor(mask, [rows.Length, width]), context: context).SentenceEmbedding; // (B, D)
        }
        Check(model, Embed);
    }

    [Fact]
    public void UseLite() => Check(useLite.Model, dispose: false);

    /// <param name="embed">(B, D) embeddings of the given rows (indices into <see cref="Rows"/>) under the attached prompts or the context's</param>
    private static void Check(ISentenceEncoder model, Func<int[], ForwardContext?, Tensor> embed, bool dispose = true)
    {
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var generator = new Generator(7);
            var prompts = Rows.Select(r => (
                Input: r.Input == 0 ? null : normal(0, 0.1, [r.Input, model.TokenWidth], generator: generator),
                Deep: r.Deep == 0 ? null : normal(0, 0.05, [r.Deep, model.Prompt.PrefixWidth], generator: generator))).ToList();
            var alone = new List<float[]>();
            for (var i = 0; i < Rows.Length; i++)
            {
                (model.Prompt.Vectors, model.Prompt.Prefixes) = (prompts[i].Input, prompts[i].Deep);
                alone.Add(embed([i], null).data<float>().ToArray());
            }
            (model.Prompt.Vectors, model.Prompt.Prefixes) = (null, null);
            var batch = PromptBatch.Gather([.. prompts.Select(p => p.Input)], [.. prompts.Select(p => p.Deep)], model.TokenWidth, model.Prompt.LayerWidths)!;
            Assert.NotNull(batch.VectorMask);
            Assert.NotNull(batch.PrefixMask);
            var batched = embed([.. Enumerable.Range(0, Rows.Length)], new ForwardContext { Prompt = batch }); // (B, D)
            for (var i = 0; i < Rows.Length; i++)
            {
                var row = batched[i].data<float>().ToArray();
                var worst = row.Zip(alone[i]).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(worst < 1e-5, $"row {i} (input prompt {Rows[i].Input}, deep {Rows[i].Deep}): differs from alone by {worst}");
            }
        }
        finally
        {
            (model.Prompt.Vectors, model.Prompt.Prefixes) = (null, null);
            if (dispose) model.Dispose();
        }
    }
}
