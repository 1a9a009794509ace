using Tessera.Compiler;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Simulator;

namespace Tessera.Npu;

/// <summary>The result of one hybrid run: graph outputs (the model's declared types), every value of the run
/// (NPU-produced ones converted back to the ONNX layout) and the report.</summary>
public sealed record HybridResult(Dictionary<string, Tensor> Outputs, IntegerState State, HybridReport Report);

/// <summary>Runs a partitioned model: NPU segments on the bit-exact simulator, CPU steps on the integer
/// reference executor, converting boundary values between NCHW and HWC on the host.</summary>
public static class HybridRunner
{
    /// <param name="trace">When given, receives the simulator's per-instruction events of every segment, segment
    /// after segment on one time line (each segment is simulated once more with tracing on).</param>
    public static HybridResult Run(ModelPartition partition, IReadOnlyDictionary<string, Tensor> inputs, bool layerReports = true, List<TraceEvent>? trace = null)
    {
        var program = partition.Program;
        var state = new IntegerState();
        foreach (var (name, tensor) in program.Constants) state.Set(name, tensor);
        foreach (var name in inputs.Keys)
        {
            if (!program.Inputs.Contains(name)) throw new InvalidInputException($"the model has no input named '{name}'", "inputs", $"expected: {string.Join(", ", program.Inputs)}");
        }
        foreach (var name in program.Inputs)
        {
            if (!inputs.TryGetValue(name, out var tensor)) throw new InvalidInputException($"input '{name}' is missing", "inputs", $"give: {string.Join(", ", program.Inputs)}");
            var expected = partition.Values.Shape(name);
            if (!tensor.Shape.SequenceEqual(expected))
            {
                throw new InvalidInputException($"input '{name}' has shape {ShapeMath.Format(tensor.Shape)}, the NPU program was compiled for {ShapeMath.Format(expected)}", name, "compile again for this shape");
            }
            state.Set(name, tensor);
        }
        var segments = new List<SegmentReport>();
        foreach (var item in partition.Items)
        {
            switch (item)
            {
                case CpuStep cpu:
                    cpu.Step.Execute(state);
                    break;
                case NpuSegment segment:
                    var bytes = segment.Inputs.ToDictionary(v => v.Name, v => ValueLayout.ToNpu(state.Int8(v.Name), v.Layout), StringComparer.Ordinal);
                    var (outputs, report) = NpuExecution.Run(segment.Compiled, bytes, layerReports);
                    foreach (var value in segment.Outputs) state.SetInt8(value.Name, ValueLayout.FromNpu(outputs[value.Name], value.Shape, value.Layout), value.Unsigned);
                    if (trace is not null)
                    {
                        long offset = segments.Sum(s => s.Network.Total.TotalCycles);
                        var traced = NpuSimulator.Run(segment.Compiled.Spec, segment.Compiled.Program, bytes.ToDictionary(p => p.Key, p => (byte[])(Array)p.Value), new SimulationOptions { Trace = true });
                        trace.AddRange(traced.Trace.Select(e => e with { Name = $"segment {segment.Index}: {e.Name}", Start = e.Start + offset, End = e.End + offset }));
                    }
                    segments.Add(new SegmentReport(segment.Index, segment.Steps.Count, segment.Macs, report));
                    break;
            }
        }
        var results = program.Outputs.ToDictionary(n => n, state.Original, StringComparer.Ordinal);
        var cpuSteps = partition.Fallbacks.Select(f => new CpuStepReport(f.Step.Name, f.Step.Kind, f.Reason, f.Macs)).ToList();
        var spec = partition.Spec;
        return new HybridResult(results, state, new HybridReport(spec.Name, spec.ClockMegahertz, spec.MacCount, segments, cpuSteps));
    }
}
