using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tessera.Hardware;
using F = Tessera.Simulator.Fields.Vector;

namespace Tessera.Simulator;

/// <summary>Functional vector unit. Operand rows are addressed like gemm inputs (two-level strides, so a
/// pooling or depthwise window tap is one instruction); destination rows are consecutive by row index.</summary>
internal static class VectorUnit
{
    public readonly record struct Operation(VectorFunction Function, bool Accumulate, bool PerChannel, int M0, int M1, int Columns,
        long A, long AStride0, long AStride1, long B, long BStride0, long BStride1, long D, long DStride, long P)
    {
        public int Rows => M0 * M1;
        public long ARow(int i1, int i0) => A + i1 * AStride1 + i0 * AStride0;
        public long BRow(int i1, int i0) => B + i1 * BStride1 + i0 * BStride0;
        public long AEnd => A + (M1 - 1) * AStride1 + (M0 - 1) * AStride0 + Columns;
        public long BEnd => B + (M1 - 1) * BStride1 + (M0 - 1) * BStride0 + Columns;
        public long DEnd => D + (Rows - 1) * DStride + Columns;
        public int ParameterCount => Function switch
        {
            VectorFunction.Requantize => 3 + 2 * (PerChannel ? Columns : 1),
            VectorFunction.Clip => 2,
            VectorFunction.Add => 12,
            VectorFunction.Multiply => 7,
            _ => 0,
        };
    }

    public static Operation Decode(Instruction instruction)
    {
        var v = instruction.Values;
        return new Operation((VectorFunction)v[F.Function], v[F.Accumulate] != 0, v[F.PerChannel] != 0, (int)v[F.M0], (int)v[F.M1], (int)v[F.Columns],
            v[F.A], v[F.AStride0], v[F.AStride1], v[F.B], v[F.BStride0], v[F.BStride1], v[F.D], v[F.DStride], v[F.P]);
    }

    public static void Accesses(Instruction instruction, List<Access> into)
    {
        var o = Decode(instruction);
        var info = InstructionSet.Function(o.Function);
        into.Add(new Access((Store)info.A, o.A, o.AEnd, false));
        switch (o.Function)
        {
            case VectorFunction.Bias: into.Add(new Access(Store.Accumulator, o.B, o.B + o.Columns, false)); break;
            case VectorFunction.MultiplyAccumulate: into.Add(new Access(Store.Weight, o.B, o.B + o.Columns, false)); break;
            case VectorFunction.Lookup: into.Add(new Access(Store.Activation, o.B, o.B + 256, false)); break;
            case VectorFunction.Add or VectorFunction.Multiply: into.Add(new Access(Store.Activation, o.B, o.BEnd, false)); break;
        }
        if (o.ParameterCount > 0) into.Add(new Access(Store.Accumulator, o.P, o.P + o.ParameterCount, false));
        bool readsDestination = o.Function == VectorFunction.Max || (o.Accumulate && o.Function is VectorFunction.Sum or VectorFunction.MultiplyAccumulate);
        if (readsDestination) into.Add(new Access((Store)info.Destination, o.D, o.DEnd, false));
        into.Add(new Access((Store)info.Destination, o.D, o.DEnd, true));
    }

    /// <summary>Checks parameters the hardware would misinterpret; returns a problem or null.</summary>
    public static string? CheckParameters(MachineState state, Operation o)
    {
        var p = state.Accumulator.AsSpan((int)o.P, o.ParameterCount);
        switch (o.Function)
        {
            case VectorFunction.Requantize:
                int n = o.PerChannel ? o.Columns : 1;
                for (int c = 0; c < n; c++)
                {
                    if (p[3 + c] < 0) return $"requantize multiplier {p[3 + c]} (column {c}) is negative";
                    if (p[3 + n + c] is < -31 or > 30) return $"requantize shift {p[3 + n + c]} (column {c}) is outside -31..30";
                }
                return Range(p[1], p[2]);
            case VectorFunction.Clip: return Range(p[0], p[1]);
            case VectorFunction.Add:
                if (p[2] is < 0 or > 30) return $"add left_shift {p[2]} is outside 0..30";
                foreach (int shift in (int[])[p[4], p[6], p[8]]) if (shift is < -31 or > 30) return $"add shift {shift} is outside -31..30";
                return Range(p[10], p[11]);
            case VectorFunction.Multiply:
                return p[3] is < -31 or > 30 ? $"multiply shift {p[3]} is outside -31..30" : Range(p[5], p[6]);
            default: return null;
        }
    }

    private static string? Range(int minimum, int maximum) =>
        minimum < -128 || maximum > 127 || minimum > maximum ? $"clamp range [{minimum}, {maximum}] is not inside [-128, 127]" : null;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Execute(MachineState state, Operation o)
    {
        var act = state.Activation.AsSpan();
        var acc = state.Accumulator.AsSpan();
        var p = state.Accumulator.AsSpan((int)o.P, o.ParameterCount);
        int columns = o.Columns;
        for (int i1 = 0; i1 < o.M1; i1++)
        {
            for (int i0 = 0; i0 < o.M0; i0++)
            {
                int d = (int)(o.D + (i1 * o.M0 + i0) * o.DStride);
                int a = (int)o.ARow(i1, i0);
                switch (o.Function)
                {
                    case VectorFunction.Copy:
                        act.Slice(a, columns).CopyTo(act.Slice(d, columns));
                        break;
                    case VectorFunction.Max:
                        Max(act.Slice(a, columns), act.Slice(d, columns));
                        break;
                    case VectorFunction.Bias:
                        Add(acc.Slice(a, columns), acc.Slice((int)o.B, columns), acc.Slice(d, columns));
                        break;
                    case VectorFunction.Requantize:
                        {
                            var source = acc.Slice(a, columns);
                            var destination = act.Slice(d, columns);
                            int n = o.PerChannel ? columns : 1;
                            for (int c = 0; c < columns; c++)
                            {
                                int channel = o.PerChannel ? c : 0;
                                destination[c] = FixedPoint.Requantize(source[c], p[3 + channel], p[3 + n + channel], p[0], p[1], p[2]);
                            }
                            break;
                        }
                    case VectorFunction.Clip:
                        for (int c = 0; c < columns; c++) act[d + c] = (sbyte)Math.Clamp(act[a + c], p[0], p[1]);
                        break;
                    case VectorFunction.Lookup:
                        for (int c = 0; c < columns; c++) act[d + c] = act[(int)o.B + act[a + c] + 128];
                        break;
                    case VectorFunction.Add:
                        {
                            int b = (int)o.BRow(i1, i0);
                            for (int c = 0; c < columns; c++) act[d + c] = FixedPoint.Add(act[a + c], act[b + c], p);
                            break;
                        }
                    case VectorFunction.Multiply:
                        {
                            int b = (int)o.BRow(i1, i0);
                            for (int c = 0; c < columns; c++) act[d + c] = FixedPoint.Multiply(act[a + c], act[b + c], p);
                            break;
                        }
                    case VectorFunction.Sum:
                        for (int c = 0; c < columns; c++) acc[d + c] = o.Accumulate ? unchecked(acc[d + c] + act[a + c]) : act[a + c];
                        break;
                    case VectorFunction.MultiplyAccumulate:
                        {
                            var weights = state.Weight.AsSpan((int)o.B, columns);
                            for (int c = 0; c < columns; c++)
                            {
                                int product = act[a + c] * weights[c];
                                acc[d + c] = o.Accumulate ? unchecked(acc[d + c] + product) : product;
                            }
                            break;
                        }
                }
            }
        }
    }

    private static void Max(ReadOnlySpan<sbyte> source, Span<sbyte> destination)
    {
        int c = 0;
        int width = Vector<sbyte>.Count;
        for (; c + width <= source.Length; c += width)
        {
            Vector.Max(new Vector<sbyte>(source[c..]), new Vector<sbyte>(destination[c..])).CopyTo(destination[c..]);
        }
        for (; c < source.Length; c++) destination[c] = Math.Max(source[c], destination[c]);
    }

    private static void Add(ReadOnlySpan<int> source, ReadOnlySpan<int> row, Span<int> destination)
    {
        int c = 0;
        int width = Vector<int>.Count;
        for (; c + width <= source.Length; c += width)
        {
            (new Vector<int>(source[c..]) + new Vector<int>(row[c..])).CopyTo(destination[c..]);
        }
        for (; c < source.Length; c++) destination[c] = unchecked(source[c] + row[c]);
    }
}
