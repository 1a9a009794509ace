using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Onnx;
using Xunit.Abstractions;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Integer.Tests;

/// <summary>ONNX Runtime runs a QDQ convolution with int8 activations as a float Conv on x64. These tests expose
/// that Conv's float32 output and compare it bit for bit with <see cref="IntegerKernels.ConvolutionOnnxRuntimeFloatSums"/>
/// under each <see cref="OnnxRuntimeSummation"/>, to pin down which summation ONNX Runtime uses for which convolution.</summary>
public sealed class OrtFloatConvolutionTests(ITestOutputHelper output)
{
    [Theory]
    // channels, kernel, stride, pad, group: depthwise with a channel count that is not a multiple of 16 and one
    // that is, strides 1 and 2, 3x3 and 5x5; one-output-channel convolutions (72 taps, and 288 taps: more than
    // MLAS's 128-deep block); a plain one (several filters).
    [InlineData(24, 24, 3, 1, 1, 24)]
    [InlineData(24, 24, 3, 2, 1, 24)]
    [InlineData(32, 32, 3, 1, 1, 32)]
    [InlineData(48, 48, 5, 2, 2, 48)]
    [InlineData(20, 20, 5, 1, 2, 20)]
    [InlineData(8, 1, 3, 1, 1, 1)]
    [InlineData(32, 1, 3, 1, 1, 1)]
    [InlineData(8, 16, 3, 1, 1, 1)]
    public void FloatConvolutionIsBitExact(int inChannels, int outChannels, int kernel, int stride, int pad, int group)
    {
        var run = QdqNetworks.Prepare([1, inChannels, 33, 33], false, (b, x) => b.Conv(x, inChannels, outChannels, kernel, stride, pad, group));
        var program = IntegerLowering.Lower(OnnxImporter.Load(run.Bytes)).WithRequantization(RequantizationProfile.OnnxRuntime);
        var step = program.Steps.OfType<ConvolutionStep>().Single();
        var state = program.Run(run.Inputs);

        // The same file with the Conv's float output also a graph output.
        var exposed = OnnxImporter.Load(run.Bytes);
        var conv = exposed.Graph.Nodes.Single(n => n.OpType == "Conv").Outputs[0]!;
        conv.Type = new TensorType(DataType.Float32, null);
        exposed.Graph.Outputs.Add(conv);
        var bytes = OnnxExporter.ToBytes(exposed);

        var candidates = Enum.GetValues<OnnxRuntimeSummation>().ToDictionary(s => s, s => step.OnnxRuntimeFloatOutput(state, s).ToFloatArray());
        foreach (var level in new[] { GraphOptimizationLevel.ORT_ENABLE_ALL, GraphOptimizationLevel.ORT_DISABLE_ALL })
        {
            var expected = OrtAgreementTests.RunOrt(bytes, run.Inputs, level)[conv.Name].ToFloatArray();
            var integer = OrtAgreementTests.RunOrt(bytes, run.Inputs, level)[run.IntegerOutputs.Values.Single()];
            foreach (var (summation, actual) in candidates)
            {
                Assert.Equal(expected.Length, actual.Length);
                int equal = expected.Where((e, i) => BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(actual[i])).Count();
                output.WriteLine($"{level} {summation}: {equal} of {expected.Length} float32 outputs bit-equal");
            }
            var chosen = candidates[step.OnnxRuntimeSummation];
            int mismatches = expected.Where((e, i) => BitConverter.SingleToInt32Bits(e) != BitConverter.SingleToInt32Bits(chosen[i])).Count();
            Assert.True(mismatches == 0, $"{level} {step.OnnxRuntimeSummation}: {mismatches} of {expected.Length} differ");
            // The other summation differs somewhere on these data, so the test tells them apart.
            var other = candidates.Single(p => p.Key != step.OnnxRuntimeSummation).Value;
            Assert.Contains(expected.Select((e, i) => BitConverter.SingleToInt32Bits(e) != BitConverter.SingleToInt32Bits(other[i])), d => d);
            // And the executor's int8 output is ONNX Runtime's.
            Assert.Equal(integer.As<sbyte>(), state.Original(run.IntegerOutputs.Values.Single()).As<sbyte>());
        }
    }
}
