using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using Tessera.Core;
using Tessera.Ops;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>Add, Sub, Mul and Div on float32 with the broadcasts models use: equal shapes, a
/// one-element operand, and an operand whose non-unit axes are one contiguous block of the output
/// (a per-channel [1, C, 1, 1] against NCHW, a bias [C] against [N, T, C], an SE gate [N, C, 1, 1]). The
/// output is cut into outer x block x inner: a vector op per inner run, or over the block when inner is 1.
/// Other broadcasts go to the reference.</summary>
public sealed class FastBinary(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        if (context.InputCount != 2 || context.Has("broadcast")) return false;
        var a = context.Input(0);
        var b = context.Input(1);
        if (a.Data is not float[] left || b.Data is not float[] right) return false;
        var shape = a.Shape.AsSpan().SequenceEqual(b.Shape) ? a.Shape : ShapeMath.Broadcast(a.Shape, b.Shape);
        int length = (int)ShapeMath.ElementCount(shape);
        // Write into a full-size operand that dies here (x = x + y in place), else into an arena array.
        var y = a.Length == length && context.CanOverwriteInput(0) ? left
            : b.Length == length && context.CanOverwriteInput(1) ? right
            : context.NewFloats(length);
        string op = context.OpType;
        if (a.Length == y.Length && b.Length == y.Length) Vector(op, left, right, y);
        else if (a.Length == y.Length && b.Length == 1) Scalar(op, left, right[0], y, false);
        else if (b.Length == y.Length && a.Length == 1) Scalar(op, right, left[0], y, true);
        else if (a.Length == y.Length && Block(shape, b.Shape) is { } split) Blocked(op, left, right, y, split, false);
        else if (b.Length == y.Length && Block(shape, a.Shape) is { } flipped) Blocked(op, right, left, y, flipped, true);
        else return false;
        context.SetOutput(0, OutputTensor(context, 0, shape, y));
        return true;
    }

    /// <summary>(outer, block, inner) when the small operand's non-unit axes are one contiguous block.</summary>
    private static (int Outer, int Block, int Inner)? Block(int[] output, int[] small)
    {
        int rank = output.Length, offset = rank - small.Length;
        int first = -1, last = -1;
        for (int d = 0; d < rank; d++)
        {
            int s = d >= offset ? small[d - offset] : 1;
            if (output[d] == 1) continue;
            if (s == output[d])
            {
                if (first < 0) first = d;
                else if (last != d - 1 && HasBroadcastBetween(output, small, offset, last, d)) return null;
                last = d;
            }
            else if (s != 1)
            {
                return null;
            }
        }
        if (first < 0) return null;
        int outer = 1, block = 1, inner = 1;
        for (int d = 0; d < first; d++) outer *= output[d];
        for (int d = first; d <= last; d++) block *= output[d];
        for (int d = last + 1; d < rank; d++) inner *= output[d];
        return (outer, block, inner);
    }

    private static bool HasBroadcastBetween(int[] output, int[] small, int offset, int from, int to)
    {
        for (int d = from + 1; d < to; d++)
        {
            int s = d >= offset ? small[d - offset] : 1;
            if (output[d] != 1 && s == 1) return true;
        }
        return false;
    }

    private static void Vector(string op, float[] a, float[] b, Span<float> y)
    {
        switch (op)
        {
            case "Add": TensorPrimitives.Add(a, b, y); break;
            case "Sub": TensorPrimitives.Subtract(a, b, y); break;
            case "Mul": TensorPrimitives.Multiply(a, b, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }

    /// <summary>y = x op s, or s op x when <paramref name="reversed"/>.</summary>
    private static void Scalar(string op, ReadOnlySpan<float> x, float s, Span<float> y, bool reversed)
    {
        switch (op)
        {
            case "Add": TensorPrimitives.Add(x, s, y); break;
            case "Mul": TensorPrimitives.Multiply(x, s, y); break;
            case "Sub":
                if (reversed) TensorPrimitives.Subtract(s, x, y);
                else TensorPrimitives.Subtract(x, s, y);
                break;
            default:
                if (reversed) TensorPrimitives.Divide(s, x, y);
                else TensorPrimitives.Divide(x, s, y);
                break;
        }
    }

    private static void VectorSpans(string op, ReadOnlySpan<float> x, ReadOnlySpan<float> s, Span<float> y, bool reversed)
    {
        var l = reversed ? s : x;
        var r = reversed ? x : s;
        switch (op)
        {
            case "Add": TensorPrimitives.Add(l, r, y); break;
            case "Sub": TensorPrimitives.Subtract(l, r, y); break;
            case "Mul": TensorPrimitives.Multiply(l, r, y); break;
            default: TensorPrimitives.Divide(l, r, y); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocked(string op, float[] full, float[] small, float[] y, (int Outer, int Block, int Inner) split, bool reversed)
    {
        var (outer, block, inner) = split;
        for (int o = 0; o < outer; o++)
        {
            int origin = o * block * inner;
            if (inner == 1)
            {
                VectorSpans(op, full.AsSpan(origin, block), small, y.AsSpan(origin, block), reversed);
                continue;
            }
            for (int i = 0; i < block; i++)
            {
                int start = origin + i * inner;
                Scalar(op, full.AsSpan(start, inner), small[i], y.AsSpan(start, inner), reversed);
            }
        }
    }
}

/// <summary>Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid, HardSwish and tessera.Silu / tessera.HardSwish
/// on float32 through the vectorized epilogue activations.</summary>
public sealed class FastUnary(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Data is not float[] data) return false;
        Activation? activation = context.OpType switch
        {
            "Relu" => new Activation(ActivationKind.Relu),
            "Sigmoid" => new Activation(ActivationKind.Sigmoid),
            "Tanh" => new Activation(ActivationKind.Tanh),
            "LeakyRelu" => new Activation(ActivationKind.LeakyRelu, context.GetFloat("alpha", 0.01f)),
            "HardSigmoid" => new Activation(ActivationKind.HardSigmoid, context.GetFloat("alpha", 0.2f), context.GetFloat("beta", 0.5f)),
            "HardSwish" => new Activation(ActivationKind.HardSwish),
            "Silu" => new Activation(ActivationKind.Silu),
            _ => null,
        };
        if (activation is null) return false;
        float[] y;
        if (context.CanOverwriteInput(0))
        {
            y = data;
        }
        else
        {
            y = context.NewFloats(data.Length);
            data.AsSpan().CopyTo(y);
        }
        activation.Value.Apply(y);
        context.SetOutput(0, OutputTensor(context, 0, x.Shape, y));
        return true;
    }
}
