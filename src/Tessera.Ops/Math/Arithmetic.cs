using Tessera.Core;

namespace Tessera.Ops.Math;

/// <summary>Add, Sub, Mul, Div with numpy broadcasting. Integer division truncates toward zero (as C does).</summary>
[Op("Add")]
[Op("Sub")]
[Op("Mul")]
[Op("Div")]
public sealed class Arithmetic : Operator
{
    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        if (a.DataType != b.DataType) throw context.Invalid($"inputs have different types {DataTypes.Name(a.DataType)} and {DataTypes.Name(b.DataType)}");
        Tensor result = context.OpType switch
        {
            "Add" => Elementwise.Binary(a, b, (x, y) => x + y, (x, y) => x + y),
            "Sub" => Elementwise.Binary(a, b, (x, y) => x - y, (x, y) => x - y),
            "Mul" => Elementwise.Binary(a, b, (x, y) => x * y, (x, y) => x * y),
            _ => Elementwise.Binary(a, b, (x, y) => x / y, (x, y) => y == 0 ? throw context.Invalid("integer division by zero") : x / y),
        };
        context.SetOutput(0, result);
    }

    public override void InferTypes(InferenceContext context) => Elementwise.InferBroadcast(context);

    public override long Macs(CostContext context) =>
        context.OutputShapes[0] is { } s ? ShapeMath.ElementCount(s) : 0;
}
