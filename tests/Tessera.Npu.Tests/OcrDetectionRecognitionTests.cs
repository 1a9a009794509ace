using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Quantization;
using Tessera.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tessera.Npu.Tests;

/// <summary>PP-OCRv4 detection (DBNet: squeeze-excitation broadcast Mul, FPN nearest Resize, ConvTranspose head)
/// and recognition (SVTR: attention's activation x activation MatMuls), quantized by Tessera and run on the
/// simulated NPU at small inputs: bit-identical to the integer reference executor, and the layer kinds the two
/// models need are on the NPU, not on the CPU.</summary>
public sealed class OcrDetectionRecognitionTests(ITestOutputHelper output)
{
    private static QuantizedModel Detector => QuantizedModel.Get("ppocr-det", PreprocessingPresets.Get("ppocr-det") with { Width = 96, Height = 96 }, "imageTextN.png", "text.png");

    private static QuantizedModel Recognizer => QuantizedModel.Get("ppocr-rec", PreprocessingPresets.Get("ppocr-rec") with { Width = 96 }, "text.png", "imageTextN.png");

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Detection_runs_bit_identical_with_resize_and_conv_transpose_on_the_npu(string configuration)
    {
        var inputs = RealModelInputs.Detection(96, 96);
        var layers = Run(Detector, configuration, inputs);
        Assert.Contains(layers, l => l is ConvTransposeLayer);
        Assert.Contains(layers, l => l is ResizeNearestLayer);
        Assert.Contains(layers, l => l is BroadcastLayer);
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("large")]
    public void Recognition_runs_bit_identical_with_attention_matmuls_on_the_npu(string configuration)
    {
        var inputs = RealModelInputs.TextLine(96);
        var layers = Run(Recognizer, configuration, inputs);
        Assert.Contains(layers, l => l is MatMulLayer);
    }

    private List<Layer> Run(QuantizedModel model, string configuration, Dictionary<string, Tensor> inputs)
    {
        var partition = BitExactness.RunOcr(model, configuration, inputs, output, exposeAll: true, minCompared: 20);
        return partition.Segments.SelectMany(s => s.Compiled.Network.Layers).ToList();
    }
}
