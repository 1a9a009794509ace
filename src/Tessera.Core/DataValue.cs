namespace Tessera.Core;

/// <summary>A run-time value flowing along a graph edge: a <see cref="Tensor"/>, a
/// <see cref="SequenceValue"/> (ONNX sequence) or an <see cref="OptionalValue"/> (ONNX optional).</summary>
public abstract class DataValue
{
}

/// <summary>An ONNX sequence: an ordered list of tensors of one element type.</summary>
public sealed class SequenceValue(DataType elementType, IReadOnlyList<Tensor> items) : DataValue
{
    public DataType ElementType { get; } = elementType;

    public IReadOnlyList<Tensor> Items { get; } = items;

    public override string ToString() => $"sequence<{DataTypes.Name(ElementType)}>[{Items.Count}]";
}

/// <summary>An ONNX optional: either holds a value or is empty (None).</summary>
public sealed class OptionalValue(IrType elementType, DataValue? value) : DataValue
{
    public IrType ElementType { get; } = elementType;

    public DataValue? Value { get; } = value;

    public bool HasValue => Value is not null;

    public override string ToString() => HasValue ? $"optional({Value})" : "optional(none)";
}
