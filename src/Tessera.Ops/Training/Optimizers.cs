using Tessera.Core;

namespace Tessera.Ops.Training;

/// <summary>Adagrad, Adam and Momentum (domain ai.onnx.preview.training): one optimizer step for n
/// tensors at once. Inputs are (R learning rate, T update count, X1..Xn, G1..Gn, state1..statek) and
/// outputs (X1'..Xn', state1'..statek'). Every formula starts from the regularized gradient
/// G_reg = norm_coefficient·X + G. Computed in double, stored in each tensor's type.</summary>
[Op("Adagrad", "ai.onnx.preview.training")]
[Op("Adam", "ai.onnx.preview.training")]
[Op("Momentum", "ai.onnx.preview.training")]
public sealed class Optimizers : Operator
{
    /// <summary>Number of per-tensor state inputs (accumulated squares, velocities, moments).</summary>
    private static int States(string opType) => opType == "Adam" ? 2 : 1;

    public override void Execute(KernelContext context)
    {
        double rate = context.Input(0).GetDouble(0);
        long step = context.Input(1).GetInt64(0);
        int groups = 2 + States(context.OpType);
        if ((context.InputCount - 2) % groups != 0) throw context.Invalid($"expected 2 + {groups}·n inputs, got {context.InputCount}");
        int n = (context.InputCount - 2) / groups;
        double norm = context.GetFloat("norm_coefficient", 0);
        bool momentum = context.OpType == "Momentum";
        double alpha = momentum ? Required(context, "alpha") : context.GetFloat("alpha", 0.9f);
        double beta = momentum ? Required(context, "beta") : context.GetFloat("beta", 0.999f);
        double epsilon = context.GetFloat("epsilon", 1e-6f);
        double decay = context.GetFloat("decay_factor", 0);
        double normPost = context.GetFloat("norm_coefficient_post", 0);
        string mode = context.GetString("mode", "standard");
        if (momentum && mode is not ("standard" or "nesterov")) throw context.Invalid($"mode '{mode}'");
        for (int i = 0; i < n; i++)
        {
            var x = context.Input(2 + i);
            var g = context.Input(2 + n + i);
            var state = Enumerable.Range(0, States(context.OpType)).Select(k => context.Input(2 + (2 + k) * n + i)).ToArray();
            if (!DataTypes.IsFloat(x.DataType)) throw context.Unsupported($"{context.OpType} on {DataTypes.Name(x.DataType)}");
            if (g.Length != x.Length || state.Any(s => s.Length != x.Length)) throw context.Invalid($"tensor {i}: X, G and state shapes differ");
            var xv = x.ToDoubleArray();
            var gv = g.ToDoubleArray();
            var sv = state.Select(s => s.ToDoubleArray()).ToArray();
            for (int j = 0; j < xv.Length; j++)
            {
                double gReg = norm * xv[j] + gv[j];
                switch (context.OpType)
                {
                    case "Adagrad":
                        double decayedRate = rate / (1 + step * decay);
                        sv[0][j] += gReg * gReg;
                        xv[j] -= decayedRate * gReg / (System.Math.Sqrt(sv[0][j]) + epsilon);
                        break;
                    case "Momentum":
                        double betaAdjusted = step > 0 ? beta : 1;
                        sv[0][j] = alpha * sv[0][j] + betaAdjusted * gReg;
                        xv[j] -= mode == "nesterov" ? rate * (gReg + alpha * sv[0][j]) : rate * sv[0][j];
                        break;
                    default:
                        sv[0][j] = alpha * sv[0][j] + (1 - alpha) * gReg;
                        sv[1][j] = beta * sv[1][j] + (1 - beta) * gReg * gReg;
                        double adjusted = step > 0 ? rate * System.Math.Sqrt(1 - System.Math.Pow(beta, step)) / (1 - System.Math.Pow(alpha, step)) : rate;
                        double updated = xv[j] - adjusted * (sv[0][j] / (System.Math.Sqrt(sv[1][j]) + epsilon));
                        xv[j] = (1 - normPost) * updated;
                        break;
                }
            }
            context.SetOutput(i, Tensor.FromDoubles(x.DataType, x.Shape, xv));
            for (int k = 0; k < sv.Length; k++) context.SetOutput((1 + k) * n + i, Tensor.FromDoubles(state[k].DataType, state[k].Shape, sv[k]));
        }
    }

    private static double Required(KernelContext context, string name) =>
        context.Has(name) ? context.GetFloat(name, 0) : throw context.MissingAttribute(name);

    public override void InferTypes(InferenceContext context)
    {
        int groups = 2 + States(context.OpType);
        int n = (context.InputCount - 2) / groups;
        for (int i = 0; i < n; i++)
        {
            context.SetOutputType(i, context.InputType(2 + i));
            for (int k = 0; k < States(context.OpType); k++) context.SetOutputType((1 + k) * n + i, context.InputType(2 + (2 + k) * n + i));
        }
    }
}
