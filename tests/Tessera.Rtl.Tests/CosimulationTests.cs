using Tessera.Compiler;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Npu;
using Tessera.Rtl;
using Tessera.Rtl.Simulation;
using Tessera.Testing;
using Tessera.TFLite;

namespace Tessera.Rtl.Tests;

/// <summary>The tiny core against the simulator. One class, so the two tests run one after the other and the
/// second reuses the testbench the first built (CosimulationTests share Cosimulation's cache).</summary>
public sealed class CosimulationTests
{
    [Fact]
    public void TinyRandomTilesMatchTheSimulatorBitForBitAloneAndBackToBack()
    {
        var spec = NpuSpecLoader.Load("tiny");
        var tiles = CosimulationTile.Random(spec, 60, seed: 11);
        var report = InFolder(folder => Cosimulation.Run(spec, tiles, new SimulatorGemmModel(spec), folder));
        var single = report.Run(CosimulationMode.Single);
        var sequence = report.Run(CosimulationMode.BackToBack);
        Assert.Equal(0, report.MismatchedTiles);
        Assert.True(single.Values > 1000, $"only {single.Values} values compared");
        Assert.Contains(single.Tiles, t => t.Tile.Rows < spec.ArrayRows);
        Assert.Contains(single.Tiles, t => t.Tile.Rows >= spec.ArrayRows);
        // The cycle model was calibrated on this RTL: every tile, short or long, alone or behind another, agrees
        // to the cycle (back to back: the cycles each tile adds to the sequence).
        Assert.Equal(60, single.CyclesExact);
        Assert.Equal(60, sequence.CyclesExact);
        Assert.Equal(sequence.ModelTotal, sequence.RtlTotal);
        // Random tiles are placed apart from the tiles that may still be in flight, so none waits for one.
        Assert.Equal(0, report.WaitingTiles);
        // The double-buffered weights really overlap tiles: the sequence is much shorter than the tiles one by one,
        // and a short tile is followed by the next one ROWS cycles (its weight load) after it started streaming.
        Assert.True(sequence.RtlTotal < 0.6 * single.RtlTotal, $"back to back {sequence.RtlTotal}, alone {single.RtlTotal}");
    }

    [Fact]
    public void EveryGemmTileOfACompiledNetworkMatchesOnTiny()
    {
        var spec = NpuSpecLoader.Load("tiny");
        var network = SampleNetwork.MobileNetLike(size: 16);
        var program = ProgramTiles.FromNetwork(NetworkCompiler.Compile(spec, network), SampleNetwork.Inputs(network));
        Assert.Equal(["stem", "pw1", "expand", "project", "conv3x3", "classifier"], program.Layers.Distinct().ToArray());
        var report = InFolder(folder => Cosimulation.Run(spec, program.Tiles, new SimulatorGemmModel(spec), folder));
        var single = report.Run(CosimulationMode.Single);
        var sequence = report.Run(CosimulationMode.BackToBack);
        Assert.Equal(0, report.MismatchedTiles);
        Assert.True(single.Values > 10000, $"only {single.Values} values compared");
        // Accumulating taps take their partial sums from the RTL's own earlier tiles, not from a preset.
        Assert.Contains(program.Tiles, t => t.Tile.Accumulate && t.Writes.All(w => w.Memory != TileMemory.Accumulator));
        Assert.Equal(program.Tiles.Count, single.CyclesExact);
        // Back to back, a tile whose writes overwrite the band or rows of a tile that may still be in flight would
        // wait for it. The compiler double-buffers input bands and, since weight prefetch, the weight scratchpad
        // too (each weight block loads into the half the previous block's tiles do not read), so no tile of the
        // compiled program overwrites an in-flight tile's operands; the model agrees on every tile.
        Assert.Equal(0, report.WaitingTiles);
        Assert.Equal(program.Tiles.Count, sequence.CyclesExact);
        Assert.True(sequence.RtlTotal < single.RtlTotal, $"back to back {sequence.RtlTotal}, alone {single.RtlTotal}");
    }

    [Fact]
    public void EveryGemmTileOfTheMlperfTinyAnomalyDetectorMatchesOnTiny()
    {
        // A real int8 model (MLPerf Tiny AD01, a dense autoencoder on 640 log-mel features), compiled for the NPU
        // as `tessera compile` does, with a seeded random int8 input.
        var spec = NpuSpecLoader.Load("tiny");
        var model = TfLiteImporter.Load(TestAssets.File("models", "mlperf-tiny", "ad01_int8.tflite"));
        var program = IntegerLowering.Lower(model);
        var input = model.Graph.Inputs.Single(v => v.Name == program.Inputs.Single());
        var inputs = ModelTiles.CompleteInputs([(input.Name, input.TensorType!.Shape!.ToConcrete()!, input.TensorType.ElementType)], new Dictionary<string, Tensor>(), seed: 3);
        var partition = Partitioner.Partition(program, ProgramValues.Probe(program, inputs), spec);
        var tiles = ModelTiles.FromPartition(partition, inputs);
        Assert.Equal(10, tiles.Layers.Distinct().Count());
        var report = InFolder(folder => Cosimulation.Run(spec, tiles.Tiles, new SimulatorGemmModel(spec), folder));
        Assert.Equal(0, report.MismatchedTiles);
        Assert.All(report.Runs, run => Assert.Equal(tiles.Tiles.Count, run.CyclesExact));
        Assert.True(report.Run(CosimulationMode.Single).Values >= 32768, $"{report.Run(CosimulationMode.Single).Values} values");
        // Weights double-buffered across layers: no tile overwrites the operands of one still in flight.
        Assert.Equal(0, report.WaitingTiles);
    }

    private static CosimulationReport InFolder(Func<string, CosimulationReport> run)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"tessera-rtl-cosim-{Guid.NewGuid():N}");
        try
        {
            return run(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
