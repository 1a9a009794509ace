using Tessera.Core;
using Tessera.Integer;
using Tessera.TFLite;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>The pre-quantized int8 MLPerf Tiny models (TFLite, imported with their own quantization, no
/// re-quantization) on the simulated NPU: bit-identical to the integer reference executor on seeded int8 inputs.</summary>
public sealed class MlperfTinyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("kws_ref_model.tflite", "tiny")]
    [InlineData("vww_96_int8.tflite", "tiny")]
    [InlineData("pretrainedResnet_quant.tflite", "tiny")]
    [InlineData("ad01_int8.tflite", "tiny")]
    [InlineData("str_ww_ref_model.tflite", "tiny")]
    [InlineData("kws_ref_model.tflite", "small")]
    [InlineData("vww_96_int8.tflite", "small")]
    [InlineData("pretrainedResnet_quant.tflite", "small")]
    [InlineData("ad01_int8.tflite", "small")]
    [InlineData("str_ww_ref_model.tflite", "small")]
    public void Int8_model_runs_bit_identical_to_the_integer_executor(string file, string configuration)
    {
        var model = TfLiteImporter.Load(TestAssets.File("models", "mlperf-tiny", file));
        var program = IntegerLowering.Lower(model);
        var input = model.Graph.Inputs.Single(v => v.Name == program.Inputs.Single());
        var shape = ((TensorType)input.Type!).Shape!.ToConcrete()!;
        var random = new Random(file.Length);
        var data = new sbyte[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (sbyte)random.Next(-128, 128);
        var inputs = new Dictionary<string, Tensor> { [input.Name] = Tensor.Create(shape, data) };
        var values = ProgramValues.Probe(program, inputs.ToDictionary(p => p.Key, p => p.Value.Shape), inputs.ToDictionary(p => p.Key, p => p.Value.DataType));
        var partition = Partitioner.Partition(program, values, Hardware.NpuSpecLoader.Load(configuration), exposeAll: true);
        var (_, compared) = BitExactness.RunIdentical(partition, program, inputs, output, $"{file} on {configuration}");
        Assert.True(compared >= 3);
        Assert.True(partition.NpuMacFraction >= 0.95, $"NPU MAC fraction {partition.NpuMacFraction:P2}");
    }

    /// <summary>The NPU implements the executor's two roundings only: with TFLite's profile the plain convolutions
    /// and the fully connected layer (one rounding) stay on the CPU, saying why, the depthwise ones (two roundings)
    /// still run on the NPU, and the hybrid run equals the executor under that profile.</summary>
    [Fact]
    public void Steps_with_another_rounding_stay_on_the_cpu_and_say_why()
    {
        var model = TfLiteImporter.Load(TestAssets.File("models", "mlperf-tiny", "kws_ref_model.tflite"));
        var reference = IntegerLowering.Lower(model);
        var program = reference.WithRequantization(RequantizationProfile.TfLite);
        var input = program.Inputs.Single();
        var random = new Random(49);
        var inputs = new Dictionary<string, Tensor> { [input] = Tensor.Create([1, 49, 10, 1], Enumerable.Range(0, 490).Select(_ => (sbyte)random.Next(-128, 128)).ToArray()) };
        var partition = Partitioner.Partition(program, ProgramValues.Probe(program, inputs), Hardware.NpuSpecLoader.Load("tiny"));
        var rounded = partition.Fallbacks.Where(f => f.Reason.Contains("two roundings", StringComparison.Ordinal)).ToList();
        Assert.Equal(program.Steps.Count(s => s is ConvolutionStep { Groups: 1 } or MatMulStep), rounded.Count);
        Assert.Contains(partition.Segments.SelectMany(s => s.Steps), s => s is ConvolutionStep { Groups: > 1 });
        Assert.InRange(partition.NpuMacFraction, 0.01, 0.99);
        var expected = program.RunOutputs(inputs)[program.Outputs.Single()].As<sbyte>();
        Assert.Equal(expected, HybridRunner.Run(partition, inputs, layerReports: false).Outputs[program.Outputs.Single()].As<sbyte>());
        // The profile changes the arithmetic, not the program it came from.
        Assert.All(reference.Steps.OfType<ConvolutionStep>(), s => Assert.Equal(RequantizationRounding.Double, s.Requantizer!.Rounding));
    }
}
