using System.Runtime.CompilerServices;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Ops;
using Tessera.Ops.NN;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The fast form of an int8 MaxPool <see cref="PoolStep"/>: the same window, taps outside the input
/// skipped (never winning), direct loops over planes in parallel instead of a callback per tap.</summary>
public sealed class Int8MaxPool(PoolStep reference, int threads) : IntegerStep(reference.Name, [.. reference.Inputs], [.. reference.Outputs])
{
    private readonly ReusedBuffer<sbyte> _output = new();

    public override string Kind => reference.Kind;

    public override string Parameters => reference.Parameters + " cpu";

    public static bool Covers(PoolStep step) => step.Node.OpType == "MaxPool" && step.AverageOutput is null && step.Node.Outputs.Count(o => o is not null) == 1;

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        int[] lifted = Windows.Lift(x.Shape);
        var attributes = new KernelContext(reference.Node, 0, []);
        var kernel = attributes.GetInts("kernel_shape") ?? throw attributes.MissingAttribute("kernel_shape");
        var spatial = x.Shape.Skip(2).Select(d => (long)d).ToArray();
        var geometry = WindowGeometry.Resolve(attributes, spatial, kernel.Select(k => (int)k).ToArray(), attributes.GetInt("ceil_mode", 0) != 0);
        var window = Windows.FromGeometry(geometry, Name);
        int planes = lifted[0] * lifted[1], height = lifted[2], width = lifted[3], oh = window.OutputHeight, ow = window.OutputWidth;
        var source = x.As<sbyte>();
        var y = _output.Get(planes * oh * ow);
        int workers = (long)planes * oh * ow < (1 << 16) ? 1 : threads;
        int chunks = Math.Max(1, Math.Min(planes, workers * 4));
        CpuParallel.For(chunks, workers, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int chunk) =>
        {
            for (int p = planes * chunk / chunks, end = planes * (chunk + 1) / chunks; p < end; p++)
            {
                var input = source.AsSpan(p * height * width, height * width);
                var output = y.AsSpan(p * oh * ow, oh * ow);
                for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int best = int.MinValue;
                    for (int ky = 0; ky < window.KernelHeight; ky++)
                    {
                        int iy = oy * window.StrideHeight - window.PadTop + ky * window.DilationHeight;
                        if ((uint)iy >= (uint)height) continue;
                        for (int kx = 0; kx < window.KernelWidth; kx++)
                        {
                            int ix = ox * window.StrideWidth - window.PadLeft + kx * window.DilationWidth;
                            if ((uint)ix < (uint)width) best = Math.Max(best, input[iy * width + ix]);
                        }
                    }
                    output[oy * ow + ox] = (sbyte)(best == int.MinValue ? sbyte.MinValue : best);
                }
            }
        });
        int[] outShape = x.Rank == 3 ? [x.Shape[0], x.Shape[1], ow] : [x.Shape[0], x.Shape[1], oh, ow];
        state.SetInt8(Outputs[0], Tensor.Create(outShape, y), reference.Unsigned);
    }
}
