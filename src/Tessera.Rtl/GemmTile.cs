using Tessera.Hardware;

namespace Tessera.Rtl;

/// <summary>One gemm tile instruction's fields (the ISA's names): rows = m0 * m1 input rows of k activations
/// times a k x n weight tile, written or added to accumulator rows.</summary>
public sealed record GemmTile(bool Accumulate, int M0, int M1, int K, int N, int Input, int InputStride0, int InputStride1,
    int Weight, int WeightStride, int Output, int OutputStride)
{
    public int Rows => M0 * M1;

    public int RowAddress(int row) => Input + row / M0 * InputStride1 + row % M0 * InputStride0;

    public IEnumerable<int> ActivationAddresses() =>
        Enumerable.Range(0, Rows).SelectMany(row => Enumerable.Range(RowAddress(row), K)).Distinct();

    public IEnumerable<int> WeightAddresses() =>
        Enumerable.Range(0, K).SelectMany(row => Enumerable.Range(Weight + row * WeightStride, N));

    public IEnumerable<int> OutputAddresses() =>
        Enumerable.Range(0, Rows).SelectMany(row => Enumerable.Range(Output + row * OutputStride, N));

    /// <summary>A random tile that fits the spec's array and memories: strided and overlapping input rows
    /// (a convolution window's implicit im2col), partial k and n, row counts below and above the array height.</summary>
    public static GemmTile Random(NpuSpec spec, Random random)
    {
        int k = random.Next(1, spec.ArrayRows + 1), n = random.Next(1, spec.ArrayColumns + 1);
        int m0 = random.Next(1, 2 * spec.ArrayRows + 1), m1 = random.Next(1, 4);
        int stride0 = random.Next(1, k + 5);
        int stride1 = m0 * stride0 + random.Next(0, 17);
        int inputExtent = (m1 - 1) * stride1 + (m0 - 1) * stride0 + k;
        int weightStride = random.Next(n, n + 9);
        int weightExtent = (k - 1) * weightStride + n;
        int outputStride = random.Next(n, n + 9);
        int outputExtent = (m0 * m1 - 1) * outputStride + n;
        return new GemmTile(random.Next(2) == 1, m0, m1, k, n,
            random.Next(0, spec.ActivationScratchpadBytes - inputExtent + 1), stride0, stride1,
            random.Next(0, spec.WeightScratchpadBytes - weightExtent + 1), weightStride,
            random.Next(0, spec.AccumulatorEntries - outputExtent + 1), outputStride);
    }
}

/// <summary>What the RTL is compared with: executes a tile on memories holding the same contents as the RTL's
/// and returns the model's cycle count for that tile on an idle array. Tessera.Rtl depends on the hardware spec
/// only, so the simulator side is plugged in by the caller (the CLI and the tests use Tessera.Simulator).</summary>
public interface IGemmModel
{
    long Execute(GemmTile tile, sbyte[] activation, sbyte[] weight, int[] accumulator);

    /// <summary>The model's cycles for the tiles issued back to back (each as soon as the array takes it), from
    /// the first tile's start to the last tile's final result.</summary>
    long SequenceCycles(IReadOnlyList<GemmTile> tiles);
}
