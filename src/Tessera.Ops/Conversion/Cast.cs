using System.Globalization;
using Tessera.Core;

namespace Tessera.Ops.Conversion;

/// <summary>Cast (target type from attribute <c>to</c>) and CastLike (target type of input 1). Numbers convert
/// as a C cast does: floats round to nearest even (float16 and bfloat16 included), float to integer truncates
/// toward zero, integers wrap. Numbers print to strings in shortest round-trip form ("NaN", "INF", "-INF"),
/// and strings parse back the same way. float8/int4 targets (opset 19+, where <c>saturate</c> applies) have
/// no storage in Tessera and are reported unsupported.</summary>
[Op("Cast")]
[Op("CastLike")]
public sealed class Cast : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var target = context.OpType == "Cast" ? TargetType(context, context.GetInt("to")) : context.Input(1).DataType;
        context.SetOutput(0, Convert(context, x, target));
    }

    public override void InferTypes(InferenceContext context)
    {
        var input = context.InputTensorType(0);
        DataType target;
        if (context.OpType == "Cast")
        {
            long to = context.GetInt("to");
            if (!IsSupported(to)) return;
            target = (DataType)to;
        }
        else
        {
            if (context.InputTensorType(1) is not { } like) return;
            target = like.ElementType;
        }
        context.SetOutput(0, target, input?.Shape);
    }

    private static bool IsSupported(long code) =>
        code is > 0 and <= (long)DataType.BFloat16 && (DataType)code is not (DataType.Complex64 or DataType.Complex128);

    private static DataType TargetType(KernelContext context, long code) =>
        IsSupported(code) ? (DataType)code : throw context.Unsupported($"Cast to element type code {code} (float8, int4 and complex have no tensor storage here)");

    public static Tensor Convert(KernelContext context, Tensor x, DataType target)
    {
        if (!IsSupported((long)x.DataType)) throw context.Unsupported($"Cast from {DataTypes.Name(x.DataType)}");
        if (x.DataType == target) return x.Clone();
        if (target == DataType.String)
        {
            if (!DataTypes.IsNumeric(x.DataType)) throw context.Unsupported($"Cast from {DataTypes.Name(x.DataType)} to string");
            var text = new string[x.Length];
            for (int i = 0; i < text.Length; i++) text[i] = Format(x, i);
            return Tensor.Create(x.Shape, text);
        }
        if (x.DataType == DataType.String)
        {
            if (!DataTypes.IsNumeric(target)) throw context.Unsupported($"Cast from string to {DataTypes.Name(target)}");
            var strings = x.As<string>();
            var result = Tensor.Zeros(target, x.Shape);
            for (int i = 0; i < strings.Length; i++) Parse(context, strings[i], result, i);
            return result;
        }
        return x.CastTo(target);
    }

    /// <summary>Shortest text that parses back to the same value, numpy style ("1e-05", "NaN", "INF").</summary>
    public static string Format(Tensor x, int i)
    {
        string Float(double v, string text) =>
            double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "INF" : double.IsNegativeInfinity(v) ? "-INF" : text.Replace('E', 'e');
        // Switch on the declared type: the CLR lets a byte[] pass as sbyte[] (and uint[] as int[], ...).
        return x.DataType switch
        {
            DataType.Float32 => Float(x.As<float>()[i], x.As<float>()[i].ToString("R", CultureInfo.InvariantCulture)),
            DataType.Float64 => Float(x.As<double>()[i], x.As<double>()[i].ToString("R", CultureInfo.InvariantCulture)),
            DataType.Float16 => Float((double)x.As<Half>()[i], x.As<Half>()[i].ToString(CultureInfo.InvariantCulture)),
            DataType.BFloat16 => Float((float)x.As<BFloat16>()[i], x.As<BFloat16>()[i].ToString()),
            DataType.UInt64 => x.As<ulong>()[i].ToString(CultureInfo.InvariantCulture),
            DataType.UInt32 => x.As<uint>()[i].ToString(CultureInfo.InvariantCulture),
            DataType.UInt16 => x.As<ushort>()[i].ToString(CultureInfo.InvariantCulture),
            DataType.UInt8 => x.As<byte>()[i].ToString(CultureInfo.InvariantCulture),
            _ => x.GetInt64(i).ToString(CultureInfo.InvariantCulture),
        };
    }

    private static void Parse(KernelContext context, string text, Tensor result, int i)
    {
        var s = text.Trim();
        if (DataTypes.IsInteger(result.DataType))
        {
            if (result.DataType == DataType.UInt64 && ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var u))
            {
                result.As<ulong>()[i] = u;
                return;
            }
            if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
            {
                result.SetInt64(i, l);
                return;
            }
        }
        if (result.DataType == DataType.Float32 && float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
        {
            result.As<float>()[i] = f;
            return;
        }
        result.SetDouble(i, ParseFloat(s) ?? throw context.Invalid($"cannot convert string \"{text}\" to {DataTypes.Name(result.DataType)}"));
    }

    private static double? ParseFloat(string s)
    {
        switch (s.ToUpperInvariant())
        {
            case "NAN" or "+NAN" or "-NAN": return double.NaN;
            case "INF" or "+INF" or "INFINITY" or "+INFINITY": return double.PositiveInfinity;
            case "-INF" or "-INFINITY": return double.NegativeInfinity;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
