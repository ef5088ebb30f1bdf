namespace Cadre.Tensors;

/// <summary>
/// One tensor's entry in a safetensors header. <see cref="Begin"/> and <see cref="End"/> are byte offsets relative to
/// the start of the data buffer (the byte after the header), as in the file's <c>data_offsets</c>.
/// Equality compares the shape element by element (a record would compare the array by reference).
/// </summary>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    /// <summary>Elements in the tensor (1 for a scalar, shape []); the reader has checked it cannot overflow.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as the header writes it, e.g. "[2, 3]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    public bool Equals(TensorInfo? other) =>
        other is not null && Name == other.Name && DType == other.DType && Shape.AsSpan().SequenceEqual(other.Shape)
        && Begin == other.Begin && End == other.End;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(DType);
        foreach (var d in Shape)
            hash.Add(d);
        hash.Add(Begin);
        hash.Add(End);
        return hash.ToHashCode();
    }
}
