using System.Runtime.CompilerServices;
using Tessera.Kernels.Cpu.Simd;

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
        if (Float512.IsAccelerated) c = Vectors<Float512>(e, y, rowBias, columnBias, residual, columns);
        else if (Float256.IsAccelerated) c = Vectors<Float256>(e, y, rowBias, columnBias, residual, columns);
        for (; c < columns; c++)
        {
            float v = y[c];
            if (e.RowBias is not null) v += rowBias;
            if (columnBias is not null) v += columnBias[c];
            if (residual is not null) v += residual[c];
            y[c] = Activate(activation, v);
        }
    }

    /// <summary>The whole vectors of a row at one width; returns the columns done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Vectors<TVector>(in Epilogue e, float* y, float rowBias, float* columnBias, float* residual, int columns)
        where TVector : unmanaged, IFloatVector<TVector>
    {
        var activation = e.Activation;
        var bias = TVector.Splat(rowBias);
        int c = 0;
        for (; c + TVector.Count <= columns; c += TVector.Count)
        {
            var v = TVector.Load(y + c);
            if (e.RowBias is not null) v += bias;
            if (columnBias is not null) v += TVector.Load(columnBias + c);
            if (residual is not null) v += TVector.Load(residual + c);
            Activate(activation, v).Store(y + c);
        }
        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Activate<TVector>(Activation a, TVector v) where TVector : unmanaged, IFloatVector<TVector> => a.Kind switch
    {
        ActivationKind.Relu => TVector.Max(v, TVector.Splat(0f)),
        ActivationKind.Clip => TVector.Min(TVector.Max(v, TVector.Splat(a.Alpha)), TVector.Splat(a.Beta)),
        ActivationKind.LeakyRelu => TVector.SelectWhereNegative(v, v * TVector.Splat(a.Alpha), v),
        ActivationKind.HardSigmoid => TVector.Min(TVector.Max(v * TVector.Splat(a.Alpha) + TVector.Splat(a.Beta), TVector.Splat(0f)), TVector.Splat(1f)),
        ActivationKind.HardSwish => v * TVector.Min(TVector.Max(v * TVector.Splat(1f / 6f) + TVector.Splat(0.5f), TVector.Splat(0f)), TVector.Splat(1f)),
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
