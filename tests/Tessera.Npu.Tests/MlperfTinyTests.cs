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
}
