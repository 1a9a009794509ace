using Tessera.Core;

namespace Tessera.Ops;

/// <summary>Shape arithmetic over symbolic dims, shared by type rules.</summary>
public static class ShapeInferenceRules
{
    /// <summary>Multidirectional broadcast of static shapes. A dim is known when every operand's dim is
    /// known, or when some operand has a known dim greater than 1; equal symbols stay symbolic.</summary>
    public static TensorShape BroadcastShapes(IEnumerable<TensorShape> shapes)
    {
        var list = shapes.ToList();
        int rank = list.Count == 0 ? 0 : list.Max(s => s.Rank);
        var dims = new Dim[rank];
        for (int i = 0; i < rank; i++)
        {
            Dim? result = null;
            bool unknown = false;
            foreach (var s in list)
            {
                int k = i - (rank - s.Rank);
                if (k < 0) continue;
                var d = s[k];
                if (d.IsKnown && d.Value == 1) continue;
                if (d.IsKnown)
                {
                    result = d;
                    unknown = false;
                    break;
                }
                if (result is null) result = d;
                else if (result.Value.Symbol != d.Symbol || d.Symbol is null) unknown = true;
            }
            dims[i] = unknown ? Dim.Unknown : result ?? Dim.Known(1);
        }
        return new TensorShape(dims);
    }

    /// <summary>Same element type and shape as input <paramref name="input"/>.</summary>
    public static void SameAsInput(InferenceContext context, int input = 0, int output = 0)
    {
        if (context.InputType(input) is { } t) context.SetOutputType(output, t);
    }
}
