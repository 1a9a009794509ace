using Tessera.Core;

namespace Tessera.Onnx.Tests;

/// <summary>Structural equality of two IR graphs: names, types, initializer contents, nodes and
/// attributes (recursing into subgraphs). Returns the first difference, or null.</summary>
public static class GraphComparer
{
    public static string? Difference(Graph a, Graph b, string path = "graph")
    {
        if (a.Name != b.Name) return $"{path}: name {a.Name} vs {b.Name}";
        var d = Values(a.Inputs, b.Inputs, $"{path}.inputs") ?? Values(a.Outputs, b.Outputs, $"{path}.outputs");
        if (d is not null) return d;
        if (a.Initializers.Count != b.Initializers.Count) return $"{path}: {a.Initializers.Count} vs {b.Initializers.Count} initializers";
        foreach (var (name, value) in a.Initializers)
        {
            if (!b.Initializers.TryGetValue(name, out var other)) return $"{path}: initializer {name} missing";
            var t = TensorDifference(value.Constant!, other.Constant!);
            if (t is not null) return $"{path}: initializer {name}: {t}";
        }
        if (a.Nodes.Count != b.Nodes.Count) return $"{path}: {a.Nodes.Count} vs {b.Nodes.Count} nodes";
        for (int i = 0; i < a.Nodes.Count; i++)
        {
            var x = a.Nodes[i];
            var y = b.Nodes[i];
            string at = $"{path}.node[{i}] {x.OpType}";
            if (x.OpType != y.OpType || x.Domain != y.Domain || x.Name != y.Name) return $"{at}: op/domain/name differ";
            if (!x.Inputs.Select(v => v?.Name).SequenceEqual(y.Inputs.Select(v => v?.Name))) return $"{at}: inputs differ";
            if (!x.Outputs.Select(v => v?.Name).SequenceEqual(y.Outputs.Select(v => v?.Name))) return $"{at}: outputs differ";
            if (x.Attributes.Count != y.Attributes.Count) return $"{at}: attribute count differs";
            foreach (var (name, attr) in x.Attributes)
            {
                if (!y.Attributes.TryGetValue(name, out var other)) return $"{at}: attribute {name} missing";
                var ad = AttributeDifference(attr.Value, other.Value, $"{at}.{name}");
                if (ad is not null) return ad;
            }
        }
        return null;
    }

    private static string? Values(List<Value> a, List<Value> b, string path)
    {
        if (a.Count != b.Count) return $"{path}: count {a.Count} vs {b.Count}";
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Name != b[i].Name) return $"{path}[{i}]: {a[i].Name} vs {b[i].Name}";
            if (!Equals(a[i].Type, b[i].Type)) return $"{path}[{i}] {a[i].Name}: type {a[i].Type} vs {b[i].Type}";
        }
        return null;
    }

    private static string? AttributeDifference(object a, object b, string path) => (a, b) switch
    {
        (Graph x, Graph y) => Difference(x, y, path),
        (Graph[] x, Graph[] y) => x.Length != y.Length ? $"{path}: graph count" : x.Zip(y).Select((p, i) => Difference(p.First, p.Second, $"{path}[{i}]")).FirstOrDefault(s => s is not null),
        (Tensor x, Tensor y) => TensorDifference(x, y) is { } t ? $"{path}: {t}" : null,
        (float[] x, float[] y) => x.SequenceEqual(y) ? null : $"{path}: floats differ",
        (long[] x, long[] y) => x.SequenceEqual(y) ? null : $"{path}: ints differ",
        (string[] x, string[] y) => x.SequenceEqual(y) ? null : $"{path}: strings differ",
        _ => Equals(a, b) ? null : $"{path}: {a} vs {b}",
    };

    public static string? TensorDifference(Tensor a, Tensor b)
    {
        if (a.DataType != b.DataType) return $"type {a.DataType} vs {b.DataType}";
        if (!a.Shape.SequenceEqual(b.Shape)) return $"shape {ShapeMath.Format(a.Shape)} vs {ShapeMath.Format(b.Shape)}";
        for (int i = 0; i < a.Length; i++)
        {
            var x = a.Data.GetValue(i);
            var y = b.Data.GetValue(i);
            if (!Equals(x, y) && !(x is float fx && y is float fy && float.IsNaN(fx) && float.IsNaN(fy))
                && !(x is double dx && y is double dy && double.IsNaN(dx) && double.IsNaN(dy))
                && !(x is Half hx && y is Half hy && Half.IsNaN(hx) && Half.IsNaN(hy)))
            {
                return $"element {i}: {x} vs {y}";
            }
        }
        return null;
    }
}
