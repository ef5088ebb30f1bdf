using System.Buffers.Binary;
using System.Text;

namespace Cadre.Tokenizers;

/// <summary>
/// Reads a SentencePiece <c>tokenizer.model</c> (a <c>ModelProto</c> protobuf) by hand, keeping only what BPE
/// encoding needs: pieces (field 1: piece=1, score=2, type=3), trainer_spec (field 2: model_type=3, unk/bos/eos
/// ids=40/41/42, unk_surface=44) and normalizer_spec (field 3: name=1, precompiled_charsmap=2,
/// add_dummy_prefix=3, remove_extra_whitespaces=4, escape_whitespaces=5). Byte fallback is on when all 256
/// <c>&lt;0xXX&gt;</c> pieces exist. Protobuf leaves out fields equal to their defaults, so the defaults below are
/// those of <c>sentencepiece_model.proto</c>.
/// </summary>
public static class SentencePieceModelFile
{
    private const int Bpe = 2;

    public static SentencePieceBpeTokenizer Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CadreException($"{path}: cannot read the tokenizer ({e.Message})", e);
        }
        try
        {
            return Parse(bytes, path);
        }
        catch (FormatException e)
        {
            throw new CadreException($"{path}: not a SentencePiece model ({e.Message})", e);
        }
    }

    private static SentencePieceBpeTokenizer Parse(byte[] bytes, string path)
    {
        var pieces = new List<Piece>();
        var trainer = new TrainerSpec();
        var normalizer = new NormalizerSpec();
        foreach (var (field, value) in new ProtoReader(bytes).Fields())
        {
            if (field == 1)
                pieces.Add(ReadPiece(value.Bytes));
            else if (field == 2)
                trainer = ReadTrainer(value.Bytes);
            else if (field == 3)
                normalizer = ReadNormalizer(value.Bytes);
        }
        if (pieces.Count == 0)
            throw new CadreException($"{path}: the SentencePiece model holds no pieces");
        if (trainer.ModelType != Bpe)
            throw new CadreException($"{path}: trainer_spec.model_type is {ModelTypeName(trainer.ModelType)}; this tokenizer reads BPE models (Llama's) only");
        if (normalizer.CharsmapLength > 0)
            throw new CadreException($"{path}: normalizer '{normalizer.Name}' rewrites characters (a precompiled map of {normalizer.CharsmapLength} bytes), which is not supported; Llama tokenizers use 'identity'");
        if (!normalizer.EscapeWhitespaces)
            throw new CadreException($"{path}: normalizer_spec.escape_whitespaces = false is not supported");
        var vocabulary = new SentencePieceVocabulary(pieces, trainer.UnkId, trainer.BosId, trainer.EosId);
        var options = new NormalizerOptions(normalizer.AddDummyPrefix, normalizer.RemoveExtraWhitespaces);
        return new SentencePieceBpeTokenizer(vocabulary, options, trainer.UnknownSurface);
    }

    // Protobuf leaves out fields equal to their defaults: these are sentencepiece_model.proto's. A model without a
    // trainer_spec is taken as BPE, the only kind this reader can be handed by a Llama repository.
    private sealed record TrainerSpec(int ModelType = Bpe, int UnkId = 0, int BosId = 1, int EosId = 2, string UnknownSurface = " \u2047 ");

    private sealed record NormalizerSpec(string Name = "", int CharsmapLength = 0, bool AddDummyPrefix = true,
        bool RemoveExtraWhitespaces = true, bool EscapeWhitespaces = true);

    private static TrainerSpec ReadTrainer(byte[] message)
    {
        var spec = new TrainerSpec(ModelType: 1); // UNIGRAM is the proto default when the field is absent
        foreach (var (f, v) in new ProtoReader(message).Fields())
        {
            // Ids of -1 ("none") arrive as 64-bit two's complement varints; the unchecked cast restores -1.
            spec = f switch
            {
                3 => spec with { ModelType = (int)v.Varint },
                40 => spec with { UnkId = (int)v.Varint },
                41 => spec with { BosId = (int)v.Varint },
                42 => spec with { EosId = (int)v.Varint },
                44 => spec with { UnknownSurface = Encoding.UTF8.GetString(v.Bytes) },
                _ => spec,
            };
        }
        return spec;
    }

    private static NormalizerSpec ReadNormalizer(byte[] message)
    {
        var spec = new NormalizerSpec();
        foreach (var (f, v) in new ProtoReader(message).Fields())
        {
            spec = f switch
            {
                1 => spec with { Name = Encoding.UTF8.GetString(v.Bytes) },
                2 => spec with { CharsmapLength = v.Bytes.Length },
                3 => spec with { AddDummyPrefix = v.Varint != 0 },
                4 => spec with { RemoveExtraWhitespaces = v.Varint != 0 },
                5 => spec with { EscapeWhitespaces = v.Varint != 0 },
                _ => spec,
            };
        }
        return spec;
    }

    private static Piece ReadPiece(byte[] message)
    {
        var (text, score, type) = ("", 0f, PieceType.Normal);
        foreach (var (f, v) in new ProtoReader(message).Fields())
        {
            if (f == 1)
                text = Encoding.UTF8.GetString(v.Bytes);
            else if (f == 2)
                score = v.Float;
            else if (f == 3)
                type = Enum.IsDefined((PieceType)(int)v.Varint) ? (PieceType)(int)v.Varint : throw new FormatException($"piece '{text}' has unknown type {v.Varint}");
        }
        return new Piece(text, score, type);
    }

    private static string ModelTypeName(int type) => type switch
    {
        1 => "UNIGRAM",
        2 => "BPE",
        3 => "WORD",
        4 => "CHAR",
        _ => type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>One field value: a varint, a 32-bit float or a length-delimited byte string.</summary>
    private readonly record struct ProtoValue(ulong Varint, float Float, byte[] Bytes);

    /// <summary>The four wire types protobuf 3 writes; groups (3, 4) are refused.</summary>
    private sealed class ProtoReader(byte[] data)
    {
        private int _position;

        public IEnumerable<(int Field, ProtoValue Value)> Fields()
        {
            while (_position < data.Length)
            {
                var key = ReadVarint();
                var (field, wire) = ((int)(key >> 3), (int)(key & 7));
                ProtoValue value = wire switch
                {
                    0 => new(ReadVarint(), 0, []),
                    1 => new(Fixed(8) is var b8 ? BinaryPrimitives.ReadUInt64LittleEndian(b8) : 0, 0, []),
                    2 => new(0, 0, Fixed(checked((int)ReadVarint()))),
                    5 => new(0, BinaryPrimitives.ReadSingleLittleEndian(Fixed(4)), []),
                    _ => throw new FormatException($"wire type {wire} at byte {_position}"),
                };
                yield return (field, value);
            }
        }

        private ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= data.Length)
                    throw new FormatException("truncated varint");
                var b = data[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return result;
            }
            throw new FormatException($"varint longer than 10 bytes at byte {_position}");
        }

        private byte[] Fixed(int length)
        {
            if (length < 0 || _position + length > data.Length)
                throw new FormatException($"field of {length} bytes at byte {_position} runs past the end");
            var slice = data.AsSpan(_position, length).ToArray();
            _position += length;
            return slice;
        }
    }
}
