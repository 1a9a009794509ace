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

    /// <summary>Mirrors NpuSimulator's array scheduling: a gemm issued while the array is busy waits for its
    /// occupancy to end and pays no idle weight load; only the first tile finds the array idle.</summary>
    public long SequenceCycles(IReadOnlyList<GemmTile> tiles)
    {
        long start = 0, end = 0;
        for (int i = 0; i < tiles.Count; i++)
        {
            bool idle = i == 0;
            end = System.Math.Max(end, start + timing.ArrayCompletion(tiles[i].Rows, tiles[i].K, idle));
            start += timing.ArrayOccupancy(tiles[i].Rows, tiles[i].K) + (idle ? timing.ArrayIdleStart : 0);
        }
        return end;
    }
}
