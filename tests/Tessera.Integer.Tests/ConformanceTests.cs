using Tessera.Conformance;
using Tessera.Core;
using Tessera.Onnx;

namespace Tessera.Integer.Tests;

/// <summary>The ONNX conformance cases of the operator-style quantized ops, through the lowering and the
/// integer executor, bit for bit. Their quantization parameters (and ConvInteger's weights) are graph inputs,
/// so they are bound as constants at lowering; the data inputs stay runtime inputs.</summary>
public sealed class ConformanceTests
{
    public static TheoryData<string, int[]> Cases => new()
    {
        { "test_qlinearconv", [0] },
        { "test_qlinearmatmul_2D", [0, 3] },
        { "test_qlinearmatmul_3D", [0, 3] },
        { "test_basic_convinteger", [0] },
        { "test_convinteger_with_padding", [0] },
        { "test_convinteger_without_padding", [0] },
        { "test_matmulinteger", [0, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OperatorStyleCaseIsBitExact(string name, int[] runtimeInputs)
    {
        string folder = Path.Combine(ConformanceRunner.DefaultRoot, "node", name);
        Assert.True(Directory.Exists(folder), $"{folder} is missing: install libonnx-testdata (scripts/setup.sh)");
        var model = OnnxImporter.Load(Path.Combine(folder, "model.onnx"));
        var data = Path.Combine(folder, "test_data_set_0");
        var graphInputs = model.Graph.Inputs.Where(v => v.Constant is null).ToList();
        var bindings = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < graphInputs.Count; i++)
        {
            var tensor = TensorProtoConverter.ReadFile(Path.Combine(data, $"input_{i}.pb"));
            (runtimeInputs.Contains(i) ? inputs : bindings)[graphInputs[i].Name] = tensor;
        }
        var program = IntegerLowering.Lower(model, bindings);
        Assert.Empty(program.Islands);
        Assert.DoesNotContain(program.Steps, s => s.IsFloat);
        var outputs = program.RunOutputs(inputs);
        var expected = TensorProtoConverter.ReadFile(Path.Combine(data, "output_0.pb"));
        var actual = outputs[model.Graph.Outputs[0].Name];
        Assert.Equal(expected.DataType, actual.DataType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.ToInt64Array(), actual.ToInt64Array());
    }
}
