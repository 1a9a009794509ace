using System.Numerics.Tensors;
using Tessera.Core;
using Tessera.Ops;
using Tessera.Kernels.Cpu.Simd;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>LSTM on float32 in its common form: one direction (forward or reverse), layout 0, the default
/// activations (Sigmoid, Tanh, Tanh), no peepholes, clip, input_forget or sequence_lens. Each step's gate
/// pre-activations are matrix-vector products of W with x_t and R with h_{t-1} (row-major, read as they
/// are, four rows per pass: <see cref="MatrixVector"/>), the gate nonlinearities are vector passes over all gates at once. Everything else goes to the
/// reference (which works in double).</summary>
public sealed class FastLstm(Operator reference, CpuKernelOptions options) : FastOperator(reference, options)
{
    protected override bool TryExecute(KernelContext context)
    {
        var x = context.Input(0);
        var w = context.Input(1);
        var r = context.Input(2);
        var b = context.OptionalInput(3);
        var initialH = context.OptionalInput(5);
        var initialC = context.OptionalInput(6);
        if (context.OptionalInput(4) is not null || context.OptionalInput(7) is not null) return false;
        if (x.Data is not float[] xs || w.Data is not float[] ws || r.Data is not float[] rs) return false;
        if ((b is not null && b.Data is not float[]) || (initialH is not null && initialH.Data is not float[]) || (initialC is not null && initialC.Data is not float[])) return false;
        if (context.GetInt("layout", 0) != 0 || context.GetInt("input_forget", 0) != 0 || context.Has("clip")) return false;
        string direction = context.GetString("direction", "forward");
        if (direction is not ("forward" or "reverse")) return false;
        if (context.GetStrings("activations") is { } names
            && !(names.Length == 3 && names[0].Equals("Sigmoid", StringComparison.OrdinalIgnoreCase)
                && names[1].Equals("Tanh", StringComparison.OrdinalIgnoreCase) && names[2].Equals("Tanh", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }
        if (x.Rank != 3 || w.Rank != 3 || r.Rank != 3) return false;
        int seq = x.Shape[0], batch = x.Shape[1], input = x.Shape[2], hidden = r.Shape[^1], gates = 4 * hidden;
        if (context.Has("hidden_size") && context.GetInt("hidden_size") != hidden) return false;
        if (w.Shape[0] != 1 || w.Shape[1] != gates || w.Shape[2] != input || r.Shape[0] != 1 || r.Shape[1] != gates) return false;
        if (b is not null && b.Length != 2 * gates) return false;
        if ((initialH is not null && initialH.Length != batch * hidden) || (initialC is not null && initialC.Length != batch * hidden)) return false;

        var bias = new float[gates];
        if (b is not null) TensorPrimitives.Add(b.As<float>().AsSpan(0, gates), b.As<float>().AsSpan(gates, gates), bias);
        var y = new float[seq * batch * hidden];
        var yh = new float[batch * hidden];
        var yc = new float[batch * hidden];
        initialH?.As<float>().AsSpan().CopyTo(yh);
        initialC?.As<float>().AsSpan().CopyTo(yc);
        var pre = new float[gates];
        var cellTanh = new float[hidden];
        bool reverse = direction == "reverse";
        for (int n = 0; n < batch; n++)
        {
            var h = yh.AsSpan(n * hidden, hidden);
            var c = yc.AsSpan(n * hidden, hidden);
            for (int s = 0; s < seq; s++)
            {
                int t = reverse ? seq - 1 - s : s;
                var xt = xs.AsSpan((t * batch + n) * input, input);
                bias.CopyTo(pre, 0);
                MatrixVector.AddProducts(ws, gates, input, xt, pre);
                MatrixVector.AddProducts(rs, gates, hidden, h, pre);
                // Gate blocks in ONNX order: input, output, forget (sigmoid), cell candidate (tanh).
                var sigmoid = pre.AsSpan(0, 3 * hidden);
                TensorPrimitives.Sigmoid(sigmoid, sigmoid);
                var candidate = pre.AsSpan(3 * hidden, hidden);
                TensorPrimitives.Tanh(candidate, candidate);
                for (int j = 0; j < hidden; j++) c[j] = pre[2 * hidden + j] * c[j] + pre[j] * candidate[j];
                TensorPrimitives.Tanh(c, cellTanh);
                TensorPrimitives.Multiply(pre.AsSpan(hidden, hidden), cellTanh, h);
                h.CopyTo(y.AsSpan((t * batch + n) * hidden, hidden));
            }
        }
        context.SetOutput(0, Tensor.Create([seq, 1, batch, hidden], y));
        context.SetOutput(1, Tensor.Create([1, batch, hidden], yh));
        context.SetOutput(2, Tensor.Create([1, batch, hidden], yc));
        return true;
    }
}
