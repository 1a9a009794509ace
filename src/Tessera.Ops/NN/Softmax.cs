using System.Runtime.CompilerServices;
using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>Softmax, LogSoftmax and Hardmax. From opset 13 they act along one axis (default -1);
/// before it the input is coerced to 2-D at axis (default 1) and each row of the flattened
/// [prod(dims[:axis]), prod(dims[axis:])] matrix is one distribution.</summary>
[Op("Softmax")]
[Op("LogSoftmax")]
[Op("Hardmax")]
public sealed class Softmax : Operator
{
    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
        bool modern = context.Opset >= 13;
        if (x.Rank == 0) throw context.Invalid("input must have rank 1 or more");
        int axis = ShapeMath.NormalizeAxis(context.GetInt("axis", modern ? -1 : 1), x.Rank, context.Node.DisplayName);
        int outer = (int)ShapeMath.ElementCount(x.Shape.AsSpan(0, axis));
        int length = modern ? x.Shape[axis] : (int)ShapeMath.ElementCount(x.Shape.AsSpan(axis));
        int inner = modern ? (int)ShapeMath.ElementCount(x.Shape.AsSpan(axis + 1)) : 1;
        var result = Tensor.Zeros(x.DataType, x.Shape);
        string op = context.OpType;
        if (x.Data is float[] xf)
        {
            var yf = result.As<float>();
            // Chunks of distributions share one buffer, so tiny distributions do not allocate per row.
            int jobs = outer * inner, chunk = System.Math.Max(1, 4096 / System.Math.Max(length, 1));
            Parallel.For(0, (jobs + chunk - 1) / chunk, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (part) =>
            {
                var buffer = new double[length];
                for (int job = part * chunk; job < System.Math.Min(jobs, (part + 1) * chunk); job++)
                {
                    int start = job / inner * length * inner + job % inner;
                    for (int i = 0; i < length; i++) buffer[i] = xf[start + i * inner];
                    Compute(op, buffer);
                    for (int i = 0; i < length; i++) yf[start + i * inner] = (float)buffer[i];
                }
            });
        }
        else
        {
            var buffer = new double[length];
            for (int job = 0; job < outer * inner; job++)
            {
                int start = job / inner * length * inner + job % inner;
                for (int i = 0; i < length; i++) buffer[i] = x.GetDouble(start + i * inner);
                Compute(op, buffer);
                for (int i = 0; i < length; i++) result.SetDouble(start + i * inner, buffer[i]);
            }
        }
        context.SetOutput(0, result);
    }

    /// <summary>Replaces one distribution's values in place (max subtracted first for stability).</summary>
    private static void Compute(string op, double[] v)
    {
        if (v.Length == 0) return;
        double max = double.NegativeInfinity;
        int argmax = 0;
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] > max)
            {
                max = v[i];
                argmax = i;
            }
        }
        if (op == "Hardmax")
        {
            Array.Clear(v);
            v[argmax] = 1;
            return;
        }
        double sum = 0;
        for (int i = 0; i < v.Length; i++) sum += System.Math.Exp(v[i] - max);
        if (op == "LogSoftmax")
        {
            double log = System.Math.Log(sum);
            for (int i = 0; i < v.Length; i++) v[i] = v[i] - max - log;
        }
        else
        {
            for (int i = 0; i < v.Length; i++) v[i] = System.Math.Exp(v[i] - max) / sum;
        }
    }

    public override void InferTypes(InferenceContext context) => ShapeInferenceRules.SameAsInput(context);
}
