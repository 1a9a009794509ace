using Tessera.Core;
using Tessera.Integer;
using Tessera.Kernels.Cpu.Int8;
using Tessera.Onnx;
using Tessera.Testing;

namespace Tessera.Quantization.Tests;

/// <summary>A real quantized model run by the integer program with the cpu backend's fast int8 kernels equals the
/// integer reference executor on every value of the run, byte for byte, at one and two threads.</summary>
public sealed class CpuInt8ModelTests
{
    [Fact]
    public void Quantized_blazeface_front_on_the_fast_int8_kernels_equals_the_integer_executor()
    {
        var run = ModelQuantization.Run("blazeface-front", "blazeface-front", ModelQuantization.ImageFolder("astronaut.png", "messi5.jpg"), maxSamples: 2);
        var program = IntegerLowering.Lower(OnnxImporter.Load(OnnxExporter.ToBytes(run.Quantized), "qdq"));
        var inputs = new SampleFeeder(run.Quantized, run.Preset).Inputs(run.Samples[0]).ToDictionary(p => p.Key, p => (Tensor)p.Value);
        var expected = program.Run(inputs);
        foreach (int threads in new[] { 1, 2 })
        {
            var fast = CpuIntegerProgram.Accelerate(program, threads);
            // Every convolution, Add and MaxPool of the model runs on a fast kernel.
            // (Fast steps are matched by output name: the input Transpose island and its quantize became one step, and
            // a convolution read only by an Add runs with it as one step that makes the Add's output.)
            bool Fused(IntegerStep conv) => conv is ConvolutionStep && fast.Steps.Any(f => f.Kind == "int.Conv+Add" && f.Name == conv.Name);
            Assert.All(program.Steps.Where(s => s is ConvolutionStep or BinaryStep && !Fused(s)), s => Assert.True(CpuIntegerProgram.IsFast(fast.Steps.Single(f => f.Outputs[0] == s.Outputs[0])), s.ToString()));
            if (System.Runtime.Intrinsics.X86.Avx512Vbmi.IsSupported || System.Runtime.Intrinsics.X86.Avx2.IsSupported) Assert.Contains(fast.Steps, f => f.Kind == "int.Conv+Add");
            var actual = fast.Run(inputs);
            int compared = 0;
            foreach (var step in program.Steps)
            foreach (var name in step.Outputs.Where(n => n.Length > 0))
            {
                if (!actual.Contains(name) && Fused(step))
                {
                    // The fused step made the Add's output (compared below), not the convolution's.
                    Assert.Single(program.Steps, s => s.Inputs.Contains(name));
                    continue;
                }
                if (!actual.Contains(name))
                {
                    // Only the transposed float input, read by nothing but the fused quantize, is not made.
                    Assert.True(step is FloatNodeStep { Node.OpType: "Transpose" }, $"{name} ({step.Kind}) was not computed");
                    Assert.Contains(fast.Steps, f => f is Int8QuantizeTranspose && f.Inputs[0] == step.Inputs[0]);
                    continue;
                }
                var e = expected.Original(name);
                var a = actual.Original(name);
                Assert.Equal(e.Shape, a.Shape);
                Assert.Equal(e.DataType, a.DataType);
                if (e.DataType is DataType.Int8)
                {
                    Assert.True(e.As<sbyte>().AsSpan().SequenceEqual(a.As<sbyte>()), $"{name} ({step.Kind}) differs at {threads} thread(s)");
                }
                else if (e.DataType is DataType.UInt8)
                {
                    Assert.True(e.As<byte>().AsSpan().SequenceEqual(a.As<byte>()), $"{name} ({step.Kind}) differs at {threads} thread(s)");
                }
                else
                {
                    Assert.Equal(e.ToDoubleArray(), a.ToDoubleArray());
                }
                compared++;
            }
            Assert.True(compared > 40, $"only {compared} values compared");
            foreach (var output in program.Outputs) Assert.Equal(expected.Original(output).ToDoubleArray(), actual.Original(output).ToDoubleArray());
        }
    }
}
