using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>Opset 1..6 binary ops broadcast only when the attribute <c>broadcast=1</c> is set, and then the
/// second operand is aligned with the first starting at <c>axis</c> (default: right-aligned, as numpy).
/// From opset 7 every binary op broadcasts multidirectionally and these attributes are gone.</summary>
public static class LegacyBroadcast
{
    /// <summary>The second operand reshaped so that numpy broadcasting gives the opset 1..6 result.</summary>
    public static Tensor AlignSecond(AttributeReader node, long opset, Tensor a, Tensor b)
    {
        if (opset >= 7 || node.GetInt("broadcast", 0) == 0 || !node.Has("axis")) return b;
        int axis = ShapeMath.NormalizeAxis(node.GetInt("axis"), a.Rank, node.Node.DisplayName);
        int trailing = a.Rank - axis - b.Rank;
        if (trailing < 0) throw new InvalidInputException($"broadcast operand of rank {b.Rank} does not fit at axis {axis} of rank {a.Rank}", node.Node.DisplayName);
        var shape = new int[b.Rank + trailing];
        for (int i = 0; i < shape.Length; i++) shape[i] = i < b.Rank ? b.Shape[i] : 1;
        return b.Reshape(shape);
    }

    /// <summary>Before opset 7 the output always has the first operand's shape.</summary>
    public static bool IsLegacy(InferenceContext context) => context.Opset < 7;
}
