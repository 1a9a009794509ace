using Tessera.Core;
using Tessera.TFLite.Schema;
using static Tessera.TFLite.Tests.BuiltModelTests;

namespace Tessera.TFLite.Tests;

/// <summary>STRIDED_SLICE, CAST, DIV, MINIMUM and MAXIMUM (the builtins of the TFLM audio front end) on small
/// files written here, against hand computation and, for STRIDED_SLICE, Arm NN.</summary>
public sealed class SlicingModelTests
{
    /// <summary>x [2,4,6] -> y [3,3] = x[1, 0:3, 5::-2]: axis 0 shrunk to index 1, axis 1 with its begin
    /// masked (end 3), axis 2 walking backwards from 5 with its end masked.</summary>
    private static byte[] StridedSliceModel()
    {
        var w = new TfLiteWriter();
        int[] buffers = [w.Buffer([]), w.Buffer(Int32Bytes(1, 2, 5)), w.Buffer(Int32Bytes(0, 3, 0)), w.Buffer(Int32Bytes(1, 1, -2))];
        int[] tensors =
        [
            w.Tensor("x", [2, 4, 6], TfLiteType.Float32, 0),
            w.Tensor("begin", [3], TfLiteType.Int32, 1),
            w.Tensor("end", [3], TfLiteType.Int32, 2),
            w.Tensor("strides", [3], TfLiteType.Int32, 3),
            w.Tensor("y", [3, 3], TfLiteType.Float32, 0),
        ];
        int[] codes = [w.Code(BuiltinOperators.StridedSlice)];
        // StridedSliceOptions: 0 begin_mask, 1 end_mask, 4 shrink_axis_mask.
        int options = w.Options((0, 0b010, false), (1, 0b100, false), (4, 0b001, false));
        // BuiltinOptions union tag 32 = StridedSliceOptions.
        int[] operators = [w.Operator(0, [0, 1, 2, 3], [4], options, optionsType: 32)];
        return w.Finish(tensors, [0], [4], operators, codes, buffers);
    }

    [Fact]
    public void Strided_slice_with_masks_and_a_negative_stride_matches_hand_computation()
    {
        var model = TfLiteImporter.Load(StridedSliceModel(), "slice.tflite");
        var x = Enumerable.Range(0, 48).Select(i => (float)i).ToArray();
        var y = MlperfTinyModels.RunSingle(model, Tensor.Create([2, 4, 6], x));
        var expected = new float[9];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) expected[i * 3 + j] = x[24 + i * 6 + 5 - 2 * j];
        Assert.Equal(expected, y);
    }

    [Fact]
    public void Strided_slice_agrees_with_arm_nn()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("tessera-slice-").FullName, "slice.tflite");
        try
        {
            File.WriteAllBytes(path, StridedSliceModel());
            var random = new Random(3);
            var inputs = Enumerable.Range(0, 4)
                .Select(_ => Tensor.Create([2, 4, 6], Enumerable.Range(0, 48).Select(_ => (float)random.NextDouble() * 10 - 5).ToArray()))
                .ToArray();
            var expected = ArmNnReference.Run(path, inputs);
            var model = TfLiteImporter.Load(path);
            for (int i = 0; i < inputs.Length; i++)
            {
                Assert.Equal(expected[i].ToFloatArray(), MlperfTinyModels.RunSingle(model, inputs[i]));
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Div_minimum_maximum_then_cast_to_int32_truncate_like_tflite()
    {
        var w = new TfLiteWriter();
        int[] buffers = [w.Buffer([]), w.Buffer(BitConverter.GetBytes(2f)), w.Buffer(BitConverter.GetBytes(3f)), w.Buffer(BitConverter.GetBytes(-3f))];
        int[] tensors =
        [
            w.Tensor("x", [5], TfLiteType.Float32, 0),
            w.Tensor("two", [], TfLiteType.Float32, 1),
            w.Tensor("half", [5], TfLiteType.Float32, 0),
            w.Tensor("three", [], TfLiteType.Float32, 2),
            w.Tensor("upper", [5], TfLiteType.Float32, 0),
            w.Tensor("minus_three", [], TfLiteType.Float32, 3),
            w.Tensor("clamped", [5], TfLiteType.Float32, 0),
            w.Tensor("y", [5], TfLiteType.Int32, 0),
        ];
        int[] codes = [w.Code(BuiltinOperators.Div), w.Code(BuiltinOperators.Minimum), w.Code(BuiltinOperators.Maximum), w.Code(BuiltinOperators.Cast)];
        int[] operators =
        [
            w.Operator(0, [0, 1], [2]), w.Operator(1, [2, 3], [4]), w.Operator(2, [4, 5], [6]), w.Operator(3, [6], [7]),
        ];
        var model = TfLiteImporter.Load(w.Finish(tensors, [0], [7], operators, codes, buffers), "cast.tflite");
        Assert.Equal(["Div", "Min", "Max", "Cast"], model.Graph.Nodes.Select(n => n.OpType));
        var session = new Runtime.InferenceSession(model);
        var outputs = session.Run(new Dictionary<string, DataValue> { ["x"] = Tensor.Create([5], new[] { 9f, 5f, -5f, -20f, 1.5f }) });
        // 4.5 -> 3, 2.5 -> 2 (toward zero), -2.5 -> -2, -10 -> -3, 0.75 -> 0.
        Assert.Equal(new[] { 3, 2, -2, -3, 0 }, ((Tensor)outputs[session.Outputs[0].Name]).As<int>().ToArray());
    }
}
