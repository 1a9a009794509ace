using Tessera.Core;
using Tessera.Npu;

namespace Tessera.Rtl.Simulation;

/// <summary>The gemm tiles of a real partitioned model (every NPU segment's compiled program), for co-simulation.</summary>
public static class ModelTiles
{
    /// <summary>Runs the partitioned model once (NPU segments on the simulator, CPU steps on the integer executor)
    /// to get every segment's real inputs, then runs each segment's program again on the simulator, recording its
    /// gemm tiles with their operands on one core, segment after segment. Layers are named "segment N: layer".</summary>
    public static ProgramTiles FromPartition(ModelPartition partition, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var run = HybridRunner.Run(partition, inputs, layerReports: false);
        var recorder = new ProgramTileRecorder(partition.Spec);
        foreach (var segment in partition.Segments)
        {
            var bytes = segment.Inputs.ToDictionary(v => v.Name, v => (byte[])(Array)ValueLayout.ToNpu(run.State.Int8(v.Name), v.Layout), StringComparer.Ordinal);
            recorder.Record(segment.Compiled, bytes, $"segment {segment.Index}: ");
        }
        return recorder.Result;
    }

    /// <summary>Seeded random values for every model input the caller did not give, of the input's type: int8 and
    /// uint8 over their whole range, floats uniform in [0, 1).</summary>
    public static Dictionary<string, Tensor> CompleteInputs(IEnumerable<(string Name, int[] Shape, DataType Type)> modelInputs,
        IReadOnlyDictionary<string, Tensor> given, int seed)
    {
        var random = new Random(seed);
        var inputs = new Dictionary<string, Tensor>(given, StringComparer.Ordinal);
        foreach (var (name, shape, type) in modelInputs)
        {
            if (inputs.ContainsKey(name)) continue;
            int length = shape.Aggregate(1, (a, b) => a * b);
            inputs[name] = type switch
            {
                DataType.Int8 => Tensor.Create(shape, Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-128, 128)).ToArray()),
                DataType.UInt8 => Tensor.Create(shape, Enumerable.Range(0, length).Select(_ => (byte)random.Next(0, 256)).ToArray()),
                DataType.Float32 => Tensor.Create(shape, Enumerable.Range(0, length).Select(_ => random.NextSingle()).ToArray()),
                _ => throw new UnsupportedException($"input '{name}' is {type}; random inputs are made for int8, uint8 and float32 only", name),
            };
        }
        return inputs;
    }
}
