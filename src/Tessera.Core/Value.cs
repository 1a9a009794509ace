namespace Tessera.Core;

/// <summary>An edge of the graph: produced by one node (or a graph input / initializer) and read by
/// any number of nodes. Its static type may be partly known (see <see cref="IrType"/>).</summary>
public sealed class Value
{
    public Value(string name, IrType? type = null)
    {
        Name = name;
        Type = type;
    }

    public string Name { get; set; }

    /// <summary>Static type, filled by the importer and by type inference; null when unknown.</summary>
    public IrType? Type { get; set; }

    /// <summary>The node that produces this value; null for graph inputs, initializers and outer-scope values.</summary>
    public Node? Producer { get; internal set; }

    /// <summary>The constant data when this value is an initializer or a folded constant.</summary>
    public Tensor? Constant { get; set; }

    public TensorType? TensorType => Type as TensorType;

    public override string ToString() => Type is null ? Name : $"{Name}: {Type}";
}
