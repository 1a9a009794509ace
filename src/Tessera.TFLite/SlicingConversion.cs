using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite;

/// <summary>STRIDED_SLICE, CAST, DIV, MINIMUM and MAXIMUM: the builtins of the TFLM audio front end that sit
/// between its custom Signal operators.</summary>
public sealed partial class TfLiteImporter
{
    private bool ConvertSlicingAndElementwise(TfLiteOperator op, int builtin)
    {
        switch (builtin)
        {
            case BuiltinOperators.StridedSlice: StridedSlice(op); return true;
            case BuiltinOperators.UnidirectionalSequenceLstm: UnidirectionalSequenceLstm(op); return true;
            // CastOptions (in_data_type, out_data_type) only repeat the tensor types, which the file also stores.
            case BuiltinOperators.Cast:
                var output = Output(op);
                Add("Cast", [In(op, 0)], output, NodeAttribute.Int("to", (long)output.TensorType!.ElementType));
                return true;
            // DivOptions: 0 fused_activation_function.
            case BuiltinOperators.Div: Emit(op, "Div", [In(op, 0), In(op, 1)], Output(op), FusedActivation(op, 0)); return true;
            case BuiltinOperators.Minimum: Add("Min", [In(op, 0), In(op, 1)], Output(op)); return true;
            case BuiltinOperators.Maximum: Add("Max", [In(op, 0), In(op, 1)], Output(op)); return true;
            default: return false;
        }
    }

    /// <summary>StridedSliceOptions: 0 begin_mask, 1 end_mask, 2 ellipsis_mask, 3 new_axis_mask,
    /// 4 shrink_axis_mask, 5 offset (end is relative to begin). Inputs: data, begin, end, strides, all
    /// constant here. Becomes ONNX Slice over every axis (masked bounds become the extremes, a shrunk axis
    /// takes one element) and a Reshape to the stored output shape, which drops the shrunk axes.</summary>
    private void StridedSlice(TfLiteOperator op)
    {
        var options = op.Options;
        int beginMask = options?.Int(0) ?? 0, endMask = options?.Int(1) ?? 0;
        int ellipsisMask = options?.Int(2) ?? 0, newAxisMask = options?.Int(3) ?? 0, shrinkMask = options?.Int(4) ?? 0;
        bool offset = options?.Bool(5) ?? false;
        if (ellipsisMask != 0 || newAxisMask != 0)
        {
            throw new UnsupportedException($"operator {op.Index} (STRIDED_SLICE) uses an ellipsis or new-axis mask, which is not supported", _source,
                "only begin, end and shrink-axis masks are imported");
        }
        var shape = TensorAt(op, 0).Shape;
        long[] begin = ConstantInts(op, 1), end = ConstantInts(op, 2), strides = ConstantInts(op, 3);
        int rank = begin.Length;
        if (end.Length != rank || strides.Length != rank || rank > shape.Length)
        {
            throw new ModelFormatException($"operator {op.Index} (STRIDED_SLICE) has begin/end/strides of lengths {begin.Length}/{end.Length}/{strides.Length} for rank {shape.Length}", _source);
        }
        var starts = new long[rank];
        var ends = new long[rank];
        for (int axis = 0; axis < rank; axis++)
        {
            long step = strides[axis], dim = shape[axis];
            if (step == 0) throw new ModelFormatException($"operator {op.Index} (STRIDED_SLICE) has stride 0 on axis {axis}", _source);
            long start = begin[axis] < 0 ? begin[axis] + dim : begin[axis];
            long stop = offset ? begin[axis] + end[axis] : end[axis];
            if (!offset && stop < 0) stop += dim;
            if ((shrinkMask >> axis & 1) != 0)
            {
                // One element at begin, whatever the end and stride say.
                starts[axis] = start;
                ends[axis] = start + 1;
                strides[axis] = 1;
                continue;
            }
            // ONNX Slice clamps out-of-range bounds the way TFLite does, so the masks map to the extremes.
            starts[axis] = (beginMask >> axis & 1) != 0 ? (step > 0 ? 0 : long.MaxValue) : start;
            ends[axis] = (endMask >> axis & 1) != 0 ? (step > 0 ? long.MaxValue : long.MinValue) : stop;
        }
        var axes = Enumerable.Range(0, rank).Select(a => (long)a).ToArray();
        var output = Output(op);
        var sliced = Temporary(output.Name + "/slice");
        Add("Slice", [In(op, 0), Constant("starts", Tensor.Create([rank], starts)), Constant("ends", Tensor.Create([rank], ends)),
            Constant("axes", Tensor.Create([rank], axes)), Constant("steps", Tensor.Create([rank], strides))], sliced);
        Add("Reshape", [sliced, ShapeConstant(output)], output);
    }
}
