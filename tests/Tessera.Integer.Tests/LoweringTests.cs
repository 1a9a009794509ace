using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Onnx;

namespace Tessera.Integer.Tests;

/// <summary>What the lowering makes of a QDQ model: fused activations, reported float islands, rejected forms.</summary>
public sealed class LoweringTests
{
    [Fact]
    public void ReluIsFusedIntoTheConvolutionClamp()
    {
        var run = QdqNetworks.Prepare("conv-relu");
        var program = IntegerLowering.Lower(OnnxImporter.Load(run.Bytes));
        Assert.Equal(["quantize", "int.Conv", "int.Conv", "dequantize"], program.Steps.Select(s => s.Kind));
        var first = (ConvolutionStep)program.Steps[1];
        // The ReLU's lower bound is the output zero point.
        Assert.Equal(first.Requantizer!.ZeroPoint, first.Requantizer.Minimum);
        Assert.Equal(8, first.Requantizer.Channels);
    }

    [Fact]
    public void AnOpWithoutIntegerLoweringIsAReportedFloatIslandAndStillAgrees()
    {
        var run = QdqNetworks.Prepare([1, 4, 6, 6], false,
            (b, x) => b.Conv(b.Op("Softmax", [b.Conv(x, 4, 6, 3)], NodeAttribute.Int("axis", 1)), 6, 4, 1));
        var program = IntegerLowering.Lower(OnnxImporter.Load(run.Bytes));
        var island = Assert.Single(program.Islands);
        Assert.Equal("Softmax", island.OpType);
        Assert.Equal("no integer lowering for Softmax", island.Reason);
        Assert.Contains(program.Steps, s => s.Kind == "float.Softmax");
        Assert.Equal(2, program.Steps.Count(s => s.Kind == "int.Conv"));
        var state = program.Run(run.Inputs);
        var expected = OrtAgreementTests.RunOrt(run.Bytes, run.Inputs, GraphOptimizationLevel.ORT_DISABLE_ALL);
        var agreement = new Agreement();
        foreach (var integerName in run.IntegerOutputs.Values) agreement.Add(expected[integerName], state.Original(integerName));
        Assert.True(agreement.WithinOneStep >= 0.999, agreement.ToString());
    }

    [Fact]
    public void ParametersThatAreNotConstantsLeaveTheNodeInFloat()
    {
        string folder = Path.Combine(Conformance.ConformanceRunner.DefaultRoot, "node", "test_qlinearmatmul_2D");
        var program = IntegerLowering.Lower(OnnxImporter.Load(Path.Combine(folder, "model.onnx")));
        var island = Assert.Single(program.Islands);
        Assert.Equal("QLinearMatMul", island.OpType);
        Assert.Contains("not constants", island.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingInputsAreReportedByName()
    {
        var run = QdqNetworks.Prepare("conv-relu");
        var program = IntegerLowering.Lower(OnnxImporter.Load(run.Bytes));
        var error = Assert.Throws<InvalidInputException>(() => program.Run(new Dictionary<string, Tensor>()));
        Assert.Contains("'x'", error.Message, StringComparison.Ordinal);
    }
}
