using Tessera.Core;
using Tessera.Integer;

namespace Tessera.Apps.Kws;

/// <summary>A pre-quantized (int8) keyword model on the integer reference executor: the float MFCCs are quantized
/// with the model's own input scale and zero point (round half away from zero, as TFLite does), the integer
/// program runs, and the int8 scores are dequantized with the output's parameters.</summary>
internal sealed class QuantizedKeywordModel
{
    private readonly IntegerProgram _program;
    private readonly string _input;
    private readonly string _output;
    private readonly (float Scale, long Zero) _inputQuantization;
    private readonly (float Scale, long Zero) _outputQuantization;

    public QuantizedKeywordModel(Model model, string source)
    {
        var graph = model.Graph;
        var input = graph.Inputs.Where(v => v.Constant is null).ToList();
        if (input.Count != 1 || graph.Outputs.Count != 1)
        {
            throw new ModelFormatException($"a keyword model has one input and one output; this one has {input.Count} and {graph.Outputs.Count}", source);
        }
        _input = input[0].Name;
        _output = graph.Outputs[0].Name;
        var dequantize = graph.Nodes.FirstOrDefault(n => n.OpType == "DequantizeLinear" && n.Input(0) == input[0])
            ?? throw new UnsupportedException("the int8 keyword model's input is not dequantized", source, "use MLPerf Tiny's kws_ref_model.tflite");
        var quantize = graph.Outputs[0].Producer is { OpType: "QuantizeLinear" } q ? q
            : throw new UnsupportedException("the int8 keyword model's output is not quantized", source, "use MLPerf Tiny's kws_ref_model.tflite");
        _inputQuantization = Parameters(dequantize, source);
        _outputQuantization = Parameters(quantize, source);
        _program = IntegerLowering.Lower(model);
    }

    private static (float, long) Parameters(Node node, string source)
    {
        var scale = node.Input(1)?.Constant;
        var zero = node.Input(2)?.Constant;
        if (scale is not { Length: 1 } || zero is not { Length: 1 }) throw new UnsupportedException($"{node.OpType} '{node.DisplayName}' is not per-tensor", source);
        return ((float)scale.GetDouble(0), zero.GetInt64(0));
    }

    public float[] Run(float[] features, int[] shape)
    {
        var quantized = new sbyte[features.Length];
        for (int i = 0; i < features.Length; i++)
        {
            double q = Math.Round(features[i] / (double)_inputQuantization.Scale, MidpointRounding.AwayFromZero) + _inputQuantization.Zero;
            quantized[i] = (sbyte)Math.Clamp(q, sbyte.MinValue, sbyte.MaxValue);
        }
        var scores = _program.RunOutputs(new Dictionary<string, Tensor> { [_input] = Tensor.Create(shape, quantized) })[_output];
        return scores.As<sbyte>().Select(v => (float)((v - _outputQuantization.Zero) * _outputQuantization.Scale)).ToArray();
    }
}
