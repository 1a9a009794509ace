using Tessera.Core;

namespace Tessera.Ops.TensorOps;

/// <summary>Transpose (perm, default reversed axes), DepthToSpace (DCR/CRD) and SpaceToDepth: each is a
/// reshape to a higher-rank view followed by an axis permutation.</summary>
[Op("Transpose")]
[Op("DepthToSpace")]
[Op("SpaceToDepth")]
public sealed class Permutations : Operator
{
    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        switch (context.OpType)
        {
            case "Transpose":
                context.SetOutput(0, Layout.Transpose(input, Perm(context, input.Rank)));
                break;
            case "DepthToSpace":
            {
                var (n, c, h, w, b) = Dims4(context, input);
                if (c % (b * b) != 0) throw context.Invalid($"channels {c} are not divisible by blocksize² {b * b}");
                bool crd = Mode(context) == "CRD";
                int[] view = crd ? [n, c / (b * b), b, b, h, w] : [n, b, b, c / (b * b), h, w];
                int[] perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
                context.SetOutput(0, Layout.Transpose(input, view, perm).Reshape([n, c / (b * b), h * b, w * b]));
                break;
            }
            default:
            {
                var (n, c, h, w, b) = Dims4(context, input);
                if (h % b != 0 || w % b != 0) throw context.Invalid($"spatial size {h}x{w} is not divisible by blocksize {b}");
                var moved = Layout.Transpose(input, [n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4]);
                context.SetOutput(0, moved.Reshape([n, c * b * b, h / b, w / b]));
                break;
            }
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        var type = Layout.TypeOf(context, 0);
        var shape = Layout.ShapeOf(context, 0);
        if (shape is null)
        {
            context.SetOutput(0, type, null);
            return;
        }
        if (context.OpType == "Transpose")
        {
            var perm = Perm(context, shape.Rank);
            context.SetOutput(0, type, new TensorShape(perm.Select(p => shape[p])));
            return;
        }
        if (shape.Rank != 4) throw new InvalidInputException("input must be 4-D", context.Node.DisplayName);
        long b = context.GetInt("blocksize");
        Dim Scale(Dim d, bool up) => d.IsKnown ? Dim.Known(up ? d.Value * b : d.Value / b) : Dim.Unknown;
        bool toSpace = context.OpType == "DepthToSpace";
        var c = shape[1].IsKnown ? Dim.Known(toSpace ? shape[1].Value / (b * b) : shape[1].Value * b * b) : Dim.Unknown;
        context.SetOutput(0, type, new TensorShape([shape[0], c, Scale(shape[2], toSpace), Scale(shape[3], toSpace)]));
    }

    private static int[] Perm(AttributeReader a, int rank)
    {
        var perm = a.GetInts("perm");
        if (perm is null) return Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank) throw new InvalidInputException($"perm has {perm.Length} entries for rank {rank}", a.Node.DisplayName);
        return Layout.NormalizeAxes(perm, rank, a.Node.DisplayName);
    }

    private static string Mode(AttributeReader a)
    {
        var mode = a.GetString("mode", "DCR");
        return mode is "DCR" or "CRD" ? mode : throw a.Unsupported($"DepthToSpace mode '{mode}'");
    }

    private static (int N, int C, int H, int W, int Block) Dims4(KernelContext context, Tensor input)
    {
        if (input.Rank != 4) throw context.Invalid($"input must be 4-D, got {ShapeMath.Format(input.Shape)}");
        long b = context.GetInt("blocksize");
        if (b <= 0 || b > int.MaxValue) throw context.Invalid($"blocksize {b} is invalid");
        return (input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3], (int)b);
    }
}
