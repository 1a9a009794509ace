using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite;

/// <summary>UNIDIRECTIONAL_SEQUENCE_LSTM as one ONNX LSTM node. TFLite keeps the four gates in separate
/// tensors in the order (input, forget, cell, output); ONNX stacks them as (i, o, f, c), with peepholes
/// (i, o, f), so the weights are restacked once here.</summary>
public sealed partial class TfLiteImporter
{
    // Operator inputs of the full (24-input) kernel, from TFLite's lstm_shared.h.
    private const int LstmInput = 0, InputWeights = 1, RecurrentWeights = 5, Peepholes = 9, GateBiases = 12,
        ProjectionWeights = 16, ProjectionBias = 17, OutputState = 18, CellState = 19, LayerNorms = 20;

    // Gate positions inside each TFLite group of four: input, forget, cell, output.
    private static readonly int[] OnnxGateOrder = [0, 3, 1, 2];

    /// <summary>UnidirectionalSequenceLSTMOptions: 0 fused_activation_function, 1 cell_clip, 2 proj_clip,
    /// 3 time_major. Projection, layer normalisation, coupled input-forget gates (CIFG) and cell clipping have
    /// no ONNX LSTM equivalent (ONNX's clip bounds gate inputs, not the cell) and are reported as unsupported.
    /// The state tensors are TFLite variables: a run starts from their stored contents, zeros when they have
    /// none (TFLite's state after ResetVariableTensors), and does not carry state to the next run.</summary>
    private void UnidirectionalSequenceLstm(TfLiteOperator op)
    {
        var options = op.Options;
        int activation = options?.SByte(0) ?? 0;
        float cellClip = options?.Float(1) ?? 0, projectionClip = options?.Float(2) ?? 0;
        bool timeMajor = options?.Bool(3) ?? false;
        string Unsupported(string what) =>
            throw new UnsupportedException($"operator {op.Index} (UNIDIRECTIONAL_SEQUENCE_LSTM) uses {what}, which is not supported", _source,
                "Tessera imports the plain LSTM with optional peepholes");
        if (Present(op, ProjectionWeights) || Present(op, ProjectionBias)) Unsupported("a projection layer");
        for (int i = LayerNorms; i < LayerNorms + 4; i++) if (Present(op, i)) Unsupported("layer normalisation");
        if (!Present(op, InputWeights)) Unsupported("coupled input and forget gates (CIFG)");
        if (cellClip != 0 || projectionClip != 0) Unsupported("cell or projection clipping");
        string gateActivation = activation switch
        {
            1 => "Relu",
            4 => "Tanh",
            _ => Unsupported($"fused activation {activation} for the cell"),
        };

        var inputWeights = GateConstants(op, InputWeights);
        var recurrentWeights = GateConstants(op, RecurrentWeights);
        var biases = GateConstants(op, GateBiases);
        int hidden = biases[0].Length;
        var w = Restack(inputWeights);
        var r = Restack(recurrentWeights);
        int inputSize = w.Length / (4 * hidden);
        var b = new float[8 * hidden];
        Array.Copy(Restack(biases), b, 4 * hidden);
        var inputs = new List<Value?>
        {
            In(op, LstmInput),
            Constant("lstm_W", Tensor.Create([1, 4 * hidden, inputSize], w)),
            Constant("lstm_R", Tensor.Create([1, 4 * hidden, r.Length / (4 * hidden)], r)),
            Constant("lstm_B", Tensor.Create([1, 8 * hidden], b)),
            null,
        };
        var input = TensorAt(op, LstmInput).Shape;
        if (input.Length != 3) throw new ModelFormatException($"operator {op.Index} (UNIDIRECTIONAL_SEQUENCE_LSTM) input has rank {input.Length}, not 3", _source);
        int batch = timeMajor ? input[1] : input[0];
        int[] stateShape = timeMajor ? [1, batch, hidden] : [batch, 1, hidden];
        inputs.Add(StateConstant(op, OutputState, stateShape));
        inputs.Add(StateConstant(op, CellState, stateShape));
        if (Present(op, Peepholes) || Present(op, Peepholes + 1) || Present(op, Peepholes + 2))
        {
            // ONNX order (i, o, f) from TFLite's cell_to_input, cell_to_forget, cell_to_output; an absent one is zero.
            var peepholes = new float[3 * hidden];
            int[] positions = [Peepholes, Peepholes + 2, Peepholes + 1];
            for (int p = 0; p < 3; p++)
            {
                if (Present(op, positions[p])) Array.Copy(In(op, positions[p]).Constant!.ToFloatArray(), 0, peepholes, p * hidden, hidden);
            }
            inputs.Add(Constant("lstm_P", Tensor.Create([1, 3 * hidden], peepholes)));
        }
        while (inputs[^1] is null) inputs.RemoveAt(inputs.Count - 1);

        var output = Output(op);
        var sequence = Temporary(output.Name + "/lstm");
        Add("LSTM", [.. inputs], sequence, NodeAttribute.Int("hidden_size", hidden), NodeAttribute.Int("layout", timeMajor ? 0 : 1),
            NodeAttribute.Strings("activations", ["Sigmoid", gateActivation, gateActivation]));
        // Y is [seq, 1, batch, hidden] (time major) or [batch, seq, 1, hidden]: dropping the direction axis is a reshape.
        Add("Reshape", [sequence, ShapeConstant(output)], output);
    }

    private bool Present(TfLiteOperator op, int position) => position < op.Inputs.Length && op.Inputs[position] >= 0;

    /// <summary>The four constant gate tensors starting at <paramref name="first"/>, as floats.</summary>
    private float[][] GateConstants(TfLiteOperator op, int first)
    {
        var gates = new float[4][];
        for (int g = 0; g < 4; g++)
        {
            gates[g] = In(op, first + g).Constant?.ToFloatArray() ?? throw new UnsupportedException(
                $"operator {op.Index} (UNIDIRECTIONAL_SEQUENCE_LSTM) computes input {first + g} at run time; only constant weights are supported", _source);
        }
        if (gates.Any(g => g.Length != gates[0].Length))
        {
            throw new ModelFormatException($"operator {op.Index} (UNIDIRECTIONAL_SEQUENCE_LSTM) has gate tensors of different sizes from input {first}", _source);
        }
        return gates;
    }

    private static float[] Restack(float[][] gates)
    {
        int size = gates[0].Length;
        var result = new float[4 * size];
        for (int g = 0; g < 4; g++) Array.Copy(gates[OnnxGateOrder[g]], 0, result, g * size, size);
        return result;
    }

    private Value? StateConstant(TfLiteOperator op, int position, int[] shape)
    {
        if (!Present(op, position)) return null;
        var data = ConstantData(TensorAt(op, position));
        return data is null ? null : Constant("lstm_state", Tensor.Create(shape, data.ToFloatArray()));
    }
}
