using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of an int8 Transpose layout step (a TFLite model's NHWC/NCHW moves around every convolution):
/// the same permutation copied into an output array kept from run to run, where the reference step runs the float
/// operator's generic kernel into a new array each run. A copy, so bit for bit the reference step.</summary>
public sealed class Int8Transpose : IntegerStep
{
    private readonly ReusedBuffer<sbyte> _output = new();
    private readonly int[] _perm;
    private readonly bool _unsigned;
    private int[]? _inShape;
    private int[] _outShape = [];
    private int[] _strides = []; // input stride of each output axis

    /// <summary>Ranks the step takes (higher ranks keep the reference step).</summary>
    public const int MaxRank = 6;

    public Int8Transpose(LayoutStep step)
        : base(step.Name, [step.Inputs[0]], [step.Outputs[0]])
    {
        _perm = Permutation(step) ?? throw new ArgumentException("not a Transpose with a perm attribute", nameof(step));
        _unsigned = step.Unsigned;
    }

    public override string Kind => "int.Transpose";

    /// <summary>Whether <paramref name="step"/> is a Transpose whose perm attribute is a permutation of rank 1 to <see cref="MaxRank"/>.</summary>
    public static bool Covers(LayoutStep step) => Permutation(step) is not null;

    private static int[]? Permutation(LayoutStep step)
    {
        if (step.Node.OpType != "Transpose" || step.Node.Domain.Length != 0) return null;
        if (step.Node.Attribute("perm")?.Value is not long[] perm || perm.Length is 0 or > MaxRank) return null;
        var seen = new bool[perm.Length];
        foreach (long p in perm)
        {
            if (p < 0 || p >= perm.Length || seen[p]) return null;
            seen[p] = true;
        }
        return [.. perm.Select(p => (int)p)];
    }

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        if (x.Rank != _perm.Length) throw new InvalidInputException($"input has rank {x.Rank}, perm has {_perm.Length} axes", Name);
        if (_inShape is null || !_inShape.AsSpan().SequenceEqual(x.Shape))
        {
            var inStrides = ShapeMath.Strides(x.Shape);
            _outShape = [.. _perm.Select(p => x.Shape[p])];
            _strides = [.. _perm.Select(p => inStrides[p])];
            _inShape = (int[])x.Shape.Clone();
        }
        var source = x.As<sbyte>();
        var y = _output.Get(source.Length);
        Permute(source, _outShape, _strides, y);
        state.SetInt8(Outputs[0], _output.Wrap(_outShape, y), _unsigned);
    }

    /// <summary>y in row-major order of <paramref name="shape"/>; output axis d advances the input by strides[d]. The
    /// innermost output axis is one loop; the outer axes are an odometer.</summary>
    private static void Permute(sbyte[] x, int[] shape, int[] strides, sbyte[] y)
    {
        if (y.Length == 0) return;
        int rank = shape.Length, inner = shape[rank - 1], innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[MaxRank];
        index.Clear();
        int at = 0;
        for (int o = 0; o < y.Length; o += inner)
        {
            if (innerStride == 1) x.AsSpan(at, inner).CopyTo(y.AsSpan(o, inner));
            else for (int i = 0, s = at; i < inner; i++, s += innerStride) y[o + i] = x[s];
            for (int d = rank - 2; d >= 0; d--)
            {
                at += strides[d];
                if (++index[d] < shape[d]) break;
                at -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }
}
