using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Ops;
using Resize = Tessera.Ops.NN.Resize;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of a nearest-neighbour Resize / Upsample <see cref="LayoutStep"/> (a pure gather of int8
/// values): the per-axis source indices are the reference kernel's own (<see cref="Resize.NearestSourceIndices"/>,
/// computed once per input shape), so every output byte is the one the reference step copies. Output rows whose
/// source row is the previous row's are copies of it; a last axis repeated k times (k = 1, 2, 4, 8, 16: PP-OCR
/// det's FPN upsamples by 2, 4 and 8) is one byte shuffle per 16 output bytes; other maps gather byte by byte.
/// Rows run in parallel into a reused output array. Modes that are not a gather stay the reference step.</summary>
public sealed class Int8Resize : IntegerStep
{
    private readonly LayoutStep _reference;
    private readonly int _threads;
    private readonly ReusedBuffer<sbyte> _output = new();
    private Plan? _plan;

    public Int8Resize(LayoutStep reference, int threads)
        : base(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
    {
        _reference = reference;
        _threads = threads;
    }

    public override string Kind => _reference.Kind;

    public override string Parameters => _reference.Parameters + " cpu";

    /// <summary>Resize and Upsample in nearest mode (other modes are not lowered to a layout step; a
    /// tf_crop_and_resize one, which may extrapolate, falls back to the reference step at run time).</summary>
    public static bool Covers(LayoutStep step) =>
        step.Node.OpType is "Resize" or "Upsample" && (step.Node.Attribute("mode")?.Value as string ?? "nearest") == "nearest";

    private sealed record Plan(int[] InputShape, int[] OutputShape, int[][] Maps, int Repeat);

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        var plan = _plan;
        if (plan is null || !plan.InputShape.AsSpan().SequenceEqual(x.Shape))
        {
            var inputs = new DataValue?[_reference.Constants.Count];
            for (int i = 1; i < inputs.Length; i++) inputs[i] = _reference.Constants[i];
            inputs[0] = x;
            int[] shape = [];
            var maps = x.Rank == 0 ? null : Resize.NearestSourceIndices(new KernelContext(_reference.Node, _reference.Opset, inputs), x, out shape);
            if (maps is null)
            {
                _reference.Execute(state);
                return;
            }
            _plan = plan = new Plan((int[])x.Shape.Clone(), shape, maps, RepeatOf(maps[^1], x.Shape[^1]));
        }
        var y = Gather(x.As<sbyte>(), plan);
        state.SetInt8(Outputs[0], _output.Wrap(plan.OutputShape, y), _reference.Unsigned);
    }

    /// <summary>k when map[j] = j / k for every j and k divides 16 (a row repeated k times), else 0.</summary>
    private static int RepeatOf(int[] map, int inRow)
    {
        if (map.Length == 0 || map.Length % inRow != 0) return 0;
        int k = map.Length / inRow;
        if (16 % k != 0) return 0;
        for (int j = 0; j < map.Length; j++)
        {
            if (map[j] != j / k) return 0;
        }
        return k;
    }

    private sbyte[] Gather(sbyte[] data, Plan plan)
    {
        var shape = plan.OutputShape;
        int rank = shape.Length;
        long length = ShapeMath.ElementCount(shape);
        var y = _output.Get(length);
        if (length == 0) return y;
        var maps = plan.Maps;
        var inStrides = ShapeMath.Strides(plan.InputShape);
        var lastMap = maps[rank - 1];
        int rowLength = shape[rank - 1], rows = (int)(length / rowLength), inRow = plan.InputShape[rank - 1];
        int repeat = plan.Repeat;
        int chunks = Math.Min(rows, _threads <= 1 || length < (1 << 16) ? 1 : _threads * 4);
        CpuParallel.For(chunks, _threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
        {
            int begin = (int)((long)rows * chunk / chunks), end = (int)((long)rows * (chunk + 1) / chunks);
            Span<int> index = stackalloc int[Math.Max(rank - 1, 1)];
            int rest = begin;
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d] = rest % shape[d];
                rest /= shape[d];
            }
            long previous = -1;
            for (int row = begin; row < end; row++)
            {
                long source = 0;
                for (int d = 0; d < rank - 1; d++) source += (long)maps[d][index[d]] * inStrides[d];
                var target = y.AsSpan(row * rowLength, rowLength);
                if (source == previous) y.AsSpan((row - 1) * rowLength, rowLength).CopyTo(target);
                else if (repeat > 0) Repeat(data.AsSpan((int)source, inRow), target, repeat);
                else
                {
                    var input = data.AsSpan((int)source, inRow);
                    for (int j = 0; j < target.Length; j++) target[j] = input[lastMap[j]];
                }
                previous = source;
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++index[d] < shape[d]) break;
                    index[d] = 0;
                }
            }
        });
        return y;
    }

    /// <summary>target[j] = input[j / k] (k divides 16): 16 / k input bytes shuffled into 16 output bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Repeat(ReadOnlySpan<sbyte> input, Span<sbyte> target, int k)
    {
        if (k == 1)
        {
            input.CopyTo(target);
            return;
        }
        int step = 16 / k, i = 0;
        if (Vector128.IsHardwareAccelerated && input.Length >= 16)
        {
            Span<byte> pattern = stackalloc byte[16];
            for (int j = 0; j < 16; j++) pattern[j] = (byte)(j / k);
            var indices = Vector128.Create<byte>(pattern);
            ref byte src = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(input));
            ref byte dst = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(target));
            // Loads 16 bytes from i, so stop where fewer than 16 remain.
            for (; i + 16 <= input.Length; i += step)
            {
                Vector128.Shuffle(Vector128.LoadUnsafe(ref src, (nuint)i), indices).StoreUnsafe(ref dst, (nuint)(i * k));
            }
        }
        for (; i < input.Length; i++) target.Slice(i * k, k).Fill(input[i]);
    }
}
