using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;
using Tessera.Core;

namespace Tessera.Kernels.Cpu;

public enum ActivationKind
{
    None,
    Relu,
    Clip,
    LeakyRelu,
    HardSigmoid,
    HardSwish,
    Sigmoid,
    Silu,
    Tanh,
}

/// <summary>An activation applied in a kernel's epilogue while the output tile is still in cache. The
/// names and parameters are those the optimizer writes on fused nodes (attributes activation and
/// activation_params, see Tessera.Ops.Fused.ActivationMath, the specification).</summary>
public readonly record struct Activation(ActivationKind Kind, float Alpha = 0f, float Beta = 0f)
{
    public static Activation None => new(ActivationKind.None);

    /// <summary>The activation a fused node names, or null when this kernel layer does not know it.</summary>
    public static Activation? FromFused(string name, float[] parameters)
    {
        float P(int i, float fallback) => i < parameters.Length ? parameters[i] : fallback;
        return name switch
        {
            "" => None,
            "Relu" => new(ActivationKind.Relu),
            "Clip" => new(ActivationKind.Clip, P(0, float.NegativeInfinity), P(1, float.PositiveInfinity)),
            "LeakyRelu" => new(ActivationKind.LeakyRelu, P(0, 0.01f)),
            "HardSigmoid" => new(ActivationKind.HardSigmoid, P(0, 0.2f), P(1, 0.5f)),
            "HardSwish" => new(ActivationKind.HardSwish),
            "Sigmoid" => new(ActivationKind.Sigmoid),
            "Silu" => new(ActivationKind.Silu),
            "Tanh" => new(ActivationKind.Tanh),
            _ => null,
        };
    }

    /// <summary>Applies the activation in place.</summary>
    public void Apply(Span<float> values)
    {
        switch (Kind)
        {
            case ActivationKind.None:
                return;
            case ActivationKind.Relu:
                TensorPrimitives.Max(values, 0f, values);
                return;
            case ActivationKind.Clip:
                TensorPrimitives.Max(values, Alpha, values);
                TensorPrimitives.Min(values, Beta, values);
                return;
            case ActivationKind.LeakyRelu:
                LeakyRelu(values, Alpha);
                return;
            case ActivationKind.HardSigmoid:
                TensorPrimitives.Multiply(values, Alpha, values);
                TensorPrimitives.Add(values, Beta, values);
                TensorPrimitives.Max(values, 0f, values);
                TensorPrimitives.Min(values, 1f, values);
                return;
            case ActivationKind.HardSwish:
                HardSwish(values);
                return;
            case ActivationKind.Sigmoid:
                TensorPrimitives.Sigmoid(values, values);
                return;
            case ActivationKind.Silu:
                Silu(values);
                return;
            case ActivationKind.Tanh:
                TensorPrimitives.Tanh(values, values);
                return;
            default:
                throw new UnsupportedException($"activation {Kind}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LeakyRelu(Span<float> values, float slope)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<float>(slope);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values[i..]);
                Vector.ConditionalSelect(Vector.LessThan(v, Vector<float>.Zero), v * s, v).CopyTo(values[i..]);
            }
        }
        for (; i < values.Length; i++) values[i] = values[i] < 0 ? slope * values[i] : values[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HardSwish(Span<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sixth = new Vector<float>(1f / 6f);
            var half = new Vector<float>(0.5f);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values[i..]);
                var gate = Vector.Min(Vector.Max(v * sixth + half, Vector<float>.Zero), Vector<float>.One);
                (v * gate).CopyTo(values[i..]);
            }
        }
        for (; i < values.Length; i++) values[i] *= System.Math.Clamp(values[i] / 6f + 0.5f, 0f, 1f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Silu(Span<float> values)
    {
        Span<float> gate = stackalloc float[256];
        for (int start = 0; start < values.Length; start += gate.Length)
        {
            var chunk = values.Slice(start, System.Math.Min(gate.Length, values.Length - start));
            var g = gate[..chunk.Length];
            TensorPrimitives.Sigmoid(chunk, g);
            TensorPrimitives.Multiply(chunk, g, chunk);
        }
    }
}
