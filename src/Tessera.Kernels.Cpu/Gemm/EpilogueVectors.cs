using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Cpu.Gemm;

/// <summary>The epilogue of one tile row in vector registers for the activations that are a few
/// compares and multiplies (none, Relu, Clip, LeakyRelu, HardSigmoid, HardSwish); the others (exp-based)
/// go through <see cref="Activation.Apply"/>. Same arithmetic order as <see cref="Epilogue.Apply"/>:
/// ((y + row bias) + column bias) + residual, then the activation.</summary>
internal static unsafe class EpilogueVectors
{
    public static bool Handles(ActivationKind kind) => kind is ActivationKind.None or ActivationKind.Relu or ActivationKind.Clip
        or ActivationKind.LeakyRelu or ActivationKind.HardSigmoid or ActivationKind.HardSwish;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(in Epilogue e, float* y, int row, int column0, int columns)
    {
        float rowBias = e.RowBias is null ? 0f : e.RowBias[row];
        float* columnBias = e.ColumnBias is null ? null : e.ColumnBias + column0;
        float* residual = e.Residual is null ? null : e.Residual + (long)row * e.ResidualStride + column0;
        var activation = e.Activation;
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var bias = Vector512.Create(rowBias);
            for (; c + 16 <= columns; c += 16)
            {
                var v = Vector512.Load(y + c);
                if (e.RowBias is not null) v += bias;
                if (columnBias is not null) v += Vector512.Load(columnBias + c);
                if (residual is not null) v += Vector512.Load(residual + c);
                Vector512.Store(Activate(activation, v), y + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var bias = Vector256.Create(rowBias);
            for (; c + 8 <= columns; c += 8)
            {
                var v = Vector256.Load(y + c);
                if (e.RowBias is not null) v += bias;
                if (columnBias is not null) v += Vector256.Load(columnBias + c);
                if (residual is not null) v += Vector256.Load(residual + c);
                Vector256.Store(Activate(activation, v), y + c);
            }
        }
        for (; c < columns; c++)
        {
            float v = y[c];
            if (e.RowBias is not null) v += rowBias;
            if (columnBias is not null) v += columnBias[c];
            if (residual is not null) v += residual[c];
            y[c] = Activate(activation, v);
        }
    }

    private static Vector512<float> Activate(Activation a, Vector512<float> v) => a.Kind switch
    {
        ActivationKind.Relu => Vector512.Max(v, Vector512<float>.Zero),
        ActivationKind.Clip => Vector512.Min(Vector512.Max(v, Vector512.Create(a.Alpha)), Vector512.Create(a.Beta)),
        ActivationKind.LeakyRelu => Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * Vector512.Create(a.Alpha), v),
        ActivationKind.HardSigmoid => Vector512.Min(Vector512.Max(v * Vector512.Create(a.Alpha) + Vector512.Create(a.Beta), Vector512<float>.Zero), Vector512<float>.One),
        ActivationKind.HardSwish => v * Vector512.Min(Vector512.Max(v * Vector512.Create(1f / 6f) + Vector512.Create(0.5f), Vector512<float>.Zero), Vector512<float>.One),
        _ => v,
    };

    private static Vector256<float> Activate(Activation a, Vector256<float> v) => a.Kind switch
    {
        ActivationKind.Relu => Vector256.Max(v, Vector256<float>.Zero),
        ActivationKind.Clip => Vector256.Min(Vector256.Max(v, Vector256.Create(a.Alpha)), Vector256.Create(a.Beta)),
        ActivationKind.LeakyRelu => Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), v * Vector256.Create(a.Alpha), v),
        ActivationKind.HardSigmoid => Vector256.Min(Vector256.Max(v * Vector256.Create(a.Alpha) + Vector256.Create(a.Beta), Vector256<float>.Zero), Vector256<float>.One),
        ActivationKind.HardSwish => v * Vector256.Min(Vector256.Max(v * Vector256.Create(1f / 6f) + Vector256.Create(0.5f), Vector256<float>.Zero), Vector256<float>.One),
        _ => v,
    };

    private static float Activate(Activation a, float v) => a.Kind switch
    {
        ActivationKind.Relu => Math.Max(v, 0f),
        ActivationKind.Clip => Math.Min(Math.Max(v, a.Alpha), a.Beta),
        ActivationKind.LeakyRelu => v < 0 ? a.Alpha * v : v,
        ActivationKind.HardSigmoid => Math.Clamp(a.Alpha * v + a.Beta, 0f, 1f),
        ActivationKind.HardSwish => v * Math.Clamp(v / 6f + 0.5f, 0f, 1f),
        _ => v,
    };
}
