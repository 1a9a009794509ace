namespace Tessera.Core;

/// <summary>One dimension of a static shape: a known size, a named symbol (e.g. "batch") bound at
/// session creation, or unknown.</summary>
public readonly record struct Dim
{
    private Dim(long value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    /// <summary>The size, or -1 when not known statically.</summary>
    public long Value { get; }

    /// <summary>The symbolic name when the size is symbolic; null otherwise.</summary>
    public string? Symbol { get; }

    public bool IsKnown => Value >= 0;

    public static Dim Known(long value) => new(value, null);

    public static Dim Symbolic(string symbol) => new(-1, symbol);

    public static Dim Unknown => new(-1, null);

    public static implicit operator Dim(long value) => Known(value);

    public override string ToString() => IsKnown ? Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : Symbol ?? "?";
}

/// <summary>A static shape: a list of <see cref="Dim"/> (the rank is always known here; an unknown
/// rank is a null <see cref="TensorShape"/> in <see cref="TensorType"/>).</summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    public TensorShape(IEnumerable<Dim> dims) => Dims = dims.ToArray();

    public TensorShape(params long[] dims) => Dims = dims.Select(Dim.Known).ToArray();

    public IReadOnlyList<Dim> Dims { get; }

    public int Rank => Dims.Count;

    public bool IsFullyKnown => Dims.All(d => d.IsKnown);

    public static TensorShape FromConcrete(ReadOnlySpan<int> shape)
    {
        var dims = new Dim[shape.Length];
        for (int i = 0; i < shape.Length; i++) dims[i] = Dim.Known(shape[i]);
        return new TensorShape(dims);
    }

    /// <summary>The concrete shape, or null when any dim is not known.</summary>
    public int[]? ToConcrete() => IsFullyKnown ? Dims.Select(d => checked((int)d.Value)).ToArray() : null;

    public Dim this[int i] => Dims[i];

    public bool Equals(TensorShape? other) => other is not null && Dims.SequenceEqual(other.Dims);

    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(",", Dims) + "]";
}

/// <summary>Static type of an IR value.</summary>
public abstract record IrType;

/// <summary>A tensor with an element type and a shape (null shape = unknown rank).</summary>
public sealed record TensorType(DataType ElementType, TensorShape? Shape) : IrType
{
    public override string ToString() => DataTypes.Name(ElementType) + (Shape?.ToString() ?? "[?]");
}

/// <summary>An ONNX sequence of values of one type.</summary>
public sealed record SequenceType(IrType ElementType) : IrType
{
    public override string ToString() => $"seq<{ElementType}>";
}

/// <summary>An ONNX optional of a tensor or sequence type.</summary>
public sealed record OptionalType(IrType ElementType) : IrType
{
    public override string ToString() => $"optional<{ElementType}>";
}
