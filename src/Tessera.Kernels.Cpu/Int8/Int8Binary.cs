using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of an int8 <see cref="BinaryStep"/> (TFLite's fixed-point Add and Mul), bit for bit the
/// same: both operands are int8, so the step is a table of its 65536 results (<see cref="FixedPoint.Add"/> or
/// <see cref="FixedPoint.Multiply"/> with the step's parameters on every pair, computed once) and each output is
/// one lookup. It covers equal shapes and an operand that is one value per outer index (a [1, C, 1, 1] scale
/// against [1, C, H, W], or a scalar: one 256-entry row of the table per outer index); other broadcasts run the
/// reference step. Only steps in fixed-point arithmetic (not <see cref="BinaryStep.FloatArithmetic"/>).</summary>
public sealed class Int8Binary : IntegerStep
{
    private readonly BinaryStep _reference;
    private readonly int _threads;
    private readonly sbyte[] _pairs;
    private readonly AddPlanes? _planes;
    private sbyte[]? _transposed;
    // ByteTable.Unary's AVX2 form of each 256-entry row of the table and of its transpose, made on first use.
    private byte[]? _rowDeltas, _transposedDeltas;
    private readonly ReusedBuffer<sbyte> _output = new();

    public Int8Binary(BinaryStep reference, int threads) : base(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
    {
        if (reference.FloatArithmetic) throw new ArgumentException("only fixed-point Add and Mul have a fast form", nameof(reference));
        _reference = reference;
        _threads = threads;
        _pairs = Table(reference);
        _planes = AddPlanes.For(reference);
    }

    /// <summary>Whether equal-shape operands run on <see cref="AddPlanes"/> (an Add, AVX512-VBMI).</summary>
    internal bool Planes => _planes is not null;

    public override string Kind => _reference.Kind;

    public override string Parameters => _reference.Parameters + " cpu";

    /// <summary>The step's result on every pair of int8 operands: [((byte)left &lt;&lt; 8) | (byte)right].</summary>
    public static sbyte[] Table(BinaryStep step)
    {
        var p = step.FixedPointParameters;
        var table = new sbyte[65536];
        for (int a = -128; a < 128; a++)
        {
            int row = (byte)a << 8;
            for (int b = -128; b < 128; b++)
            {
                table[row | (byte)b] = step.IsMultiply ? FixedPoint.Multiply(a, b, p) : FixedPoint.Add(a, b, p);
            }
        }
        return table;
    }

    public override void Execute(IntegerState state)
    {
        var a = state.Int8(Inputs[0]);
        var b = state.Int8(Inputs[1]);
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        int total = (int)ShapeMath.ElementCount(shape);
        sbyte[] y;
        if (a.Shape.AsSpan().SequenceEqual(b.Shape))
        {
            y = _output.Get(total);
            Run(a.As<sbyte>(), b.As<sbyte>(), 1, total, false, y);
        }
        else if (a.Length == total && PerOuter(b.Shape, shape) is int innerB)
        {
            y = _output.Get(total);
            Run(a.As<sbyte>(), b.As<sbyte>(), total / innerB, innerB, false, y);
        }
        else if (b.Length == total && PerOuter(a.Shape, shape) is int innerA)
        {
            y = _output.Get(total);
            Run(b.As<sbyte>(), a.As<sbyte>(), total / innerA, innerA, true, y);
        }
        else
        {
            _reference.Execute(state);
            return;
        }
        state.SetInt8(Outputs[0], _output.Wrap(shape, y), _reference.Unsigned);
    }

    /// <summary>When <paramref name="small"/>, aligned to the output's rank, equals the output on a leading run of
    /// axes and is 1 on all the others, the element count of those others (each small value serves that many
    /// consecutive outputs); otherwise null.</summary>
    private static int? PerOuter(int[] small, int[] output)
    {
        int offset = output.Length - small.Length, split = output.Length;
        for (int axis = output.Length - 1; axis >= 0; axis--)
        {
            int size = axis >= offset ? small[axis - offset] : 1;
            if (size == 1 && split == axis + 1) split = axis;
        }
        for (int axis = 0; axis < split; axis++)
        {
            int size = axis >= offset ? small[axis - offset] : 1;
            if (size != output[axis]) return null;
        }
        int inner = (int)ShapeMath.ElementCount(output.AsSpan(split));
        return inner == 0 ? null : inner;
    }

    /// <summary>y[o * inner + i] = f(full[o * inner + i], other[o]), or f(full[i], other[i]) when both are full;
    /// <paramref name="swapped"/> when the full operand is the right one.</summary>
    private void Run(sbyte[] full, sbyte[] other, int outer, int inner, bool swapped, sbyte[] y)
    {
        bool same = outer == 1 && other.Length == full.Length && full.Length == inner;
        int total = outer * inner;
        if (total == 0) return;
        int workers = total < CpuParallel.SerialBelowElements ? 1 : _threads;
        var pairs = _pairs;
        var planes = _planes;
        if (same)
        {
            int chunks = Math.Max(1, Math.Min(workers * 4, total / 8192));
            CpuParallel.For(chunks, workers, (int chunk) =>
            {
                int start = (int)((long)total * chunk / chunks) & ~63, end = chunk == chunks - 1 ? total : (int)((long)total * (chunk + 1) / chunks) & ~63;
                if (planes is not null) planes.Run(full.AsSpan(start, end - start), other.AsSpan(start, end - start), y.AsSpan(start, end - start));
                else ByteTable.Binary(full.AsSpan(start, end - start), other.AsSpan(start, end - start), pairs, y.AsSpan(start, end - start));
            });
            return;
        }
        // One row of the table per outer index: with the full operand on the right, row (byte)other[o] of the
        // table; on the left, the same row of the transposed table.
        var rows = swapped ? pairs : _transposed ??= Transpose(pairs);
        var deltas = swapped ? _rowDeltas ??= Deltas(rows) : _transposedDeltas ??= Deltas(rows);
        int outerChunks = Math.Max(1, Math.Min(outer, workers * 4));
        CpuParallel.For(outerChunks, outer < 2 ? 1 : workers, (int chunk) =>
        {
            for (int o = (int)((long)outer * chunk / outerChunks), end = (int)((long)outer * (chunk + 1) / outerChunks); o < end; o++)
            {
                int row = (byte)other[o] << 8;
                ByteTable.Unary(full.AsSpan(o * inner, inner), rows.AsSpan(row, 256), deltas.AsSpan(row, 256), y.AsSpan(o * inner, inner));
            }
        });
    }

    private static byte[] Deltas(sbyte[] rows)
    {
        var deltas = new byte[rows.Length];
        for (int r = 0; r < rows.Length; r += 256) ByteTable.Deltas(rows.AsSpan(r, 256)).CopyTo(deltas, r);
        return deltas;
    }

    private static sbyte[] Transpose(sbyte[] pairs)
    {
        var t = new sbyte[65536];
        for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++) t[(b << 8) | a] = pairs[(a << 8) | b];
        return t;
    }
}
