namespace Cadre.Tokenizers;

/// <summary>Text to token ids and back, exactly as the base model was trained with.</summary>
public interface ITextTokenizer
{
    int VocabularySize { get; }

    IReadOnlyList<int> Encode(string text);

    string Decode(IEnumerable<int> ids);
}
