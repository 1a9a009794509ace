using Tessera.Hardware;
using Tessera.Rtl;
using Tessera.Simulator;

namespace Tessera.Rtl.Tests;

/// <summary>The simulator's gemm kernel and its cycle model (TimingModel.ArrayCompletion) for one tile on an idle array:
/// the figures the RTL must reproduce.</summary>
internal sealed class SimulatorGemmModel(NpuSpec spec) : IGemmModel
{
    private readonly GemmKernel kernel = new(KernelPath.Scalar);
    private readonly TimingModel timing = new(spec);

    public long Execute(GemmTile tile, sbyte[] activation, sbyte[] weight, int[] accumulator)
    {
        kernel.Run(activation, weight, accumulator, tile.Rows, tile.M0, tile.Input, tile.InputStride0, tile.InputStride1, tile.K, tile.N,
            tile.Weight, tile.WeightStride, tile.Output, tile.OutputStride, tile.Accumulate);
        return timing.ArrayCompletion(tile.Rows, tile.K, idle: true);
    }
}
