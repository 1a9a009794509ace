using System.Globalization;

namespace Tessera.Core;

public enum AttributeKind
{
    Float,
    Int,
    String,
    Tensor,
    Graph,
    Floats,
    Ints,
    Strings,
    Tensors,
    Graphs,
    Type,
    Types,
}

/// <summary>A node attribute: a typed constant (number, string, tensor, subgraph or list of them).</summary>
public sealed class NodeAttribute
{
    public NodeAttribute(string name, AttributeKind kind, object value)
    {
        Name = name;
        Kind = kind;
        Value = value;
    }

    public string Name { get; }

    public AttributeKind Kind { get; }

    /// <summary>float, long, string, Tensor, Graph, float[], long[], string[], Tensor[], Graph[], IrType or IrType[].</summary>
    public object Value { get; }

    public static NodeAttribute Float(string name, float v) => new(name, AttributeKind.Float, v);

    public static NodeAttribute Int(string name, long v) => new(name, AttributeKind.Int, v);

    public static NodeAttribute String(string name, string v) => new(name, AttributeKind.String, v);

    public static NodeAttribute Ints(string name, long[] v) => new(name, AttributeKind.Ints, v);

    public static NodeAttribute Floats(string name, float[] v) => new(name, AttributeKind.Floats, v);

    public static NodeAttribute Strings(string name, string[] v) => new(name, AttributeKind.Strings, v);

    public static NodeAttribute FromTensor(string name, Tensor v) => new(name, AttributeKind.Tensor, v);

    public static NodeAttribute FromGraph(string name, Graph v) => new(name, AttributeKind.Graph, v);

    public override string ToString() => Value switch
    {
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        string s => "\"" + s + "\"",
        float[] fs => "[" + string.Join(",", fs.Select(f => f.ToString("R", CultureInfo.InvariantCulture))) + "]",
        long[] ls => "[" + string.Join(",", ls) + "]",
        string[] ss => "[" + string.Join(",", ss.Select(s => "\"" + s + "\"")) + "]",
        Graph g => $"graph({g.Name})",
        _ => Value.ToString() ?? string.Empty,
    };
}
