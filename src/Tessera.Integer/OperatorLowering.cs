using Tessera.Core;

namespace Tessera.Integer;

public sealed partial class IntegerLowering
{
    private const string ParametersNotConstant = "its quantization parameters or weights are not constants (bind the graph inputs that hold them)";

    /// <summary>An 8-bit zero point (absent means 0) moved to the int8 domain of a tensor of type <paramref name="type"/>.</summary>
    private static int[] Zeros(Tensor? zero, DataType type)
    {
        int offset = type == DataType.UInt8 ? 128 : 0;
        return zero is null ? [-offset] : Enumerable.Range(0, zero.Length).Select(i => (int)zero.GetInt64(i) - offset).ToArray();
    }

    /// <summary>The element type of an 8-bit operand: the constant's, else its zero point's, else the declared one.</summary>
    private DataType TypeOf(Value value, Tensor? zero) =>
        ConstantOf(value)?.DataType ?? value.TensorType?.ElementType ?? zero?.DataType ?? DataType.UInt8;

    private bool MissingConstant(Node node, params int[] indices) =>
        indices.Any(i => node.Input(i) is not null && ConstantOf(node.Input(i)) is null);

    private string? LowerOperatorConvolution(Node node)
    {
        bool linear = node.OpType == "QLinearConv";
        int wIndex = linear ? 3 : 1, xZeroIndex = 2, wZeroIndex = linear ? 5 : 3;
        if (linear ? MissingConstant(node, 1, 2, 3, 4, 5, 6, 7, 8) : MissingConstant(node, 1, 2, 3)) return ParametersNotConstant;
        var x = node.Input(0)!;
        var xZero = ConstantOf(node.Input(xZeroIndex));
        var xType = TypeOf(x, xZero);
        var w = ConstantOf(node.Input(wIndex))!;
        if (xType is not (DataType.Int8 or DataType.UInt8) || Signed(w) is not { } weights) return "x and w must be int8 or uint8";
        if (weights.Rank is not (3 or 4)) return "only 1-D and 2-D convolutions are lowered";
        if (xZero is { Length: > 1 }) return "a per-channel x_zero_point is not lowered";
        int inputZero = Zeros(xZero, xType)[0];
        int[] weightZero = Zeros(ConstantOf(node.Input(wZeroIndex)), w.DataType);
        var output = node.Output(0)!.Name;
        if (!linear)
        {
            _steps.Add(new ConvolutionStep(node, x.Name, output, inputZero, weights, weightZero, null, null, false));
            return null;
        }
        int channels = weights.Shape[0];
        double xScale = ConstantOf(node.Input(1))!.GetDouble(0);
        double[] weightScale = ConstantOf(node.Input(4))!.ToDoubleArray();
        var yZero = ConstantOf(node.Input(7));
        var yType = yZero?.DataType ?? DataType.UInt8;
        int outputZero = Zeros(yZero, yType)[0];
        double yScale = ConstantOf(node.Input(6))!.GetDouble(0);
        int[]? bias = node.Input(8) is null ? null : ConstantOf(node.Input(8))!.ToInt64Array().Select(b => checked((int)b)).ToArray();
        if (weightScale.Length is not 1 && weightScale.Length != channels || bias is not null && bias.Length != channels) return "w_scale and B need one value per output channel";
        var requantizer = Requantizer.FromRealMultipliers(RealMultipliers(xScale, weightScale, yScale, channels), outputZero);
        _steps.Add(new ConvolutionStep(node, x.Name, output, inputZero, weights, weightZero, bias, requantizer, yType == DataType.UInt8));
        return null;
    }

    private string? LowerOperatorMatMul(Node node)
    {
        bool linear = node.OpType == "QLinearMatMul";
        int bIndex = linear ? 3 : 1, aZeroIndex = linear ? 2 : 2, bZeroIndex = linear ? 5 : 3;
        if (linear ? MissingConstant(node, 1, 2, 4, 5, 6, 7) : MissingConstant(node, 2, 3)) return ParametersNotConstant;
        var a = node.Input(0)!;
        var b = node.Input(bIndex)!;
        var aZero = ConstantOf(node.Input(aZeroIndex));
        var bZero = ConstantOf(node.Input(bZeroIndex));
        var aType = TypeOf(a, aZero);
        var bType = TypeOf(b, bZero);
        if (aType is not (DataType.Int8 or DataType.UInt8) || bType is not (DataType.Int8 or DataType.UInt8)) return "a and b must be int8 or uint8";
        if (aZero is { Length: > 1 }) return "a per-row a_zero_point is not lowered";
        var constantB = ConstantOf(b) is { } c ? Signed(c) : null;
        int leftZero = Zeros(aZero, aType)[0];
        int[] rightZero = Zeros(bZero, bType);
        var output = node.Output(0)!.Name;
        string? right = constantB is null ? b.Name : null;
        if (!linear)
        {
            _steps.Add(new MatMulStep(node.DisplayName, a.Name, right, leftZero, constantB, rightZero, null, null, output, false));
            return null;
        }
        double aScale = ConstantOf(node.Input(1))!.GetDouble(0);
        double[] bScale = ConstantOf(node.Input(4))!.ToDoubleArray();
        var yZero = ConstantOf(node.Input(7));
        var yType = yZero?.DataType ?? DataType.UInt8;
        double yScale = ConstantOf(node.Input(6))!.GetDouble(0);
        int columns = constantB?.Shape[^1] ?? bScale.Length;
        if (bScale.Length != 1 && bScale.Length != columns) return "b_scale must be per tensor or per output column";
        var requantizer = Requantizer.FromRealMultipliers(RealMultipliers(aScale, bScale, yScale, columns), Zeros(yZero, yType)[0]);
        _steps.Add(new MatMulStep(node.DisplayName, a.Name, right, leftZero, constantB, rightZero, null, requantizer, output, yType == DataType.UInt8));
        return null;
    }
}
