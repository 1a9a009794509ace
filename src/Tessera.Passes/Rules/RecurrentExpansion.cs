using Tessera.Core;

namespace Tessera.Passes;

/// <summary>Expands an ONNX LSTM with a fixed sequence length into the standard ops of its definition, unrolled
/// over the time steps, so that a quantizer and an accelerator that know no LSTM still treat it as matrix
/// products, lookups and elementwise arithmetic. Per step t and gate g (ONNX order i, o, f, c):
/// <c>pre_g = Gemm(x_t, W_g^T, Wb_g + Rb_g) + MatMul(h_{t-1}, R_g^T)</c>, i, o, f = Sigmoid, c~ = Tanh,
/// <c>c_t = f * c_{t-1} + i * c~</c>, <c>h_t = o * Tanh(c_t)</c>. Each gate has its own product (no Split),
/// so every value a quantizer sees is one gate's. A missing initial state is zero: its recurrent product and
/// the forget term of the first step are left out. Y is the h_t stacked as [T, 1, B, H]; Y_h and Y_c are the
/// last step's h and c as [1, B, H].
///
/// Only what the expansion reproduces exactly is expanded: direction forward, layout 0, the default activations
/// (Sigmoid, Tanh, Tanh), no clip, no input_forget, no peepholes, no sequence_lens, constant W, R (and B), float32,
/// a known input shape and at most <see cref="MaxSteps"/> steps. Not in the default optimizer pipeline (the CPU
/// backend's fused LSTM kernel is faster): <see cref="Run"/> is called by the quantizer's model preparation when
/// recurrent layers are to be quantized (NPU deployment).</summary>
public sealed class ExpandLstm : RewriteRule
{
    /// <summary>Longest sequence unrolled (the graph grows by about 25 nodes per step).</summary>
    public const int MaxSteps = 64;

    private static readonly string[] DefaultActivations = ["Sigmoid", "Tanh", "Tanh"];

    public override IReadOnlyCollection<string> RootOps => ["LSTM"];

    /// <summary>Expands every LSTM of the main graph that qualifies; returns how many.</summary>
    public static int Run(Model model)
    {
        var statistics = new OptimizationStatistics();
        var options = new OptimizationOptions { DumpFolder = null };
        new RuleSetPass("expand-lstm", [new ExpandLstm()]).Run(model, options, statistics);
        int expanded = statistics.RuleCounts.GetValueOrDefault(nameof(ExpandLstm));
        if (expanded > 0) new DeadCodeElimination().Run(model, options, statistics);
        return expanded;
    }

    public override Rewrite? Match(Node node, RuleContext context)
    {
        if (node.Domain.Length != 0 || node.Input(0) is not { } x || RuleContext.ElementType(x) != DataType.Float32) return null;
        if (RuleContext.Shape(x) is not { Length: 3 } xs || xs[0] < 1 || xs[0] > MaxSteps) return null;
        if (RuleContext.Constant(node.Input(1)) is not { Rank: 3, DataType: DataType.Float32 } w || RuleContext.Constant(node.Input(2)) is not { Rank: 3, DataType: DataType.Float32 } r) return null;
        Tensor? b = null;
        if (node.Input(3) is { } bValue && (b = RuleContext.Constant(bValue)) is not { DataType: DataType.Float32 }) return null;
        if (node.Input(4) is not null || node.Input(7) is not null) return null;
        if ((node.Attribute("direction")?.Value as string ?? "forward") != "forward") return null;
        if ((node.Attribute("layout")?.Value as long? ?? 0) != 0 || (node.Attribute("input_forget")?.Value as long? ?? 0) != 0) return null;
        if (node.Attribute("clip") is not null || node.Attribute("activation_alpha") is not null || node.Attribute("activation_beta") is not null) return null;
        if (node.Attribute("activations")?.Value is string[] names && !names.SequenceEqual(DefaultActivations, StringComparer.Ordinal)) return null;
        int steps = xs[0], batch = xs[1], inputSize = xs[2], hidden = r.Shape[2];
        if (node.Attribute("hidden_size")?.Value is long declared && declared != hidden) return null;
        if (!w.Shape.SequenceEqual([1, 4 * hidden, inputSize]) || !r.Shape.SequenceEqual([1, 4 * hidden, hidden])) return null;
        if (b is not null && !b.Shape.SequenceEqual([1, 8 * hidden])) return null;
        int[] stateShape = [1, batch, hidden];
        foreach (var state in new[] { node.Input(5), node.Input(6) })
        {
            if (state is not null && (RuleContext.Shape(state) is not { } s || !s.SequenceEqual(stateShape) || RuleContext.ElementType(state) != DataType.Float32)) return null;
        }
        return new Expansion(node, context, steps, batch, inputSize, hidden).Build(w, r, b);
    }

    private sealed class Expansion(Node node, RuleContext context, int steps, int batch, int inputSize, int hidden)
    {
        private readonly List<Node> _nodes = [];
        private readonly string _prefix = (node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault(o => o is not null)?.Name ?? "lstm") + "/expanded";

        public Rewrite Build(Tensor w, Tensor r, Tensor? b)
        {
            var wf = w.As<float>();
            var rf = r.As<float>();
            var bf = b?.As<float>();
            string[] gateNames = ["i", "o", "f", "c"];
            var inputWeights = new Value[4];
            var recurrentWeights = new Value[4];
            var biases = new Value?[4];
            for (int g = 0; g < 4; g++)
            {
                inputWeights[g] = context.NewConstant($"{_prefix}/W_{gateNames[g]}", Transposed(wf, g * hidden, hidden, inputSize));
                recurrentWeights[g] = context.NewConstant($"{_prefix}/R_{gateNames[g]}", Transposed(rf, g * hidden, hidden, hidden));
                if (bf is not null)
                {
                    var sum = new float[hidden];
                    for (int j = 0; j < hidden; j++) sum[j] = bf[g * hidden + j] + bf[4 * hidden + g * hidden + j];
                    biases[g] = context.NewConstant($"{_prefix}/B_{gateNames[g]}", Tensor.Create([hidden], sum));
                }
            }
            int[] rows = [batch, hidden];
            var h = node.Input(5) is { } h0 ? Reshape(h0, rows, "h0") : null;
            var c = node.Input(6) is { } c0 ? Reshape(c0, rows, "c0") : null;
            var ys = new List<Value>();
            for (int t = 0; t < steps; t++)
            {
                string step = $"t{t}";
                var xt = steps == 1 ? node.Input(0)! : Add("Slice", [node.Input(0)!, Ints([t]), Ints([t + 1]), Ints([0])], [1, batch, inputSize], $"{step}/x_slice");
                xt = Reshape(xt, [batch, inputSize], $"{step}/x");
                Value Gate(int g)
                {
                    string name = $"{step}/{gateNames[g]}";
                    var pre = biases[g] is { } bias
                        ? Add("Gemm", [xt, inputWeights[g], bias], rows, name + "_input")
                        : Add("MatMul", [xt, inputWeights[g]], rows, name + "_input");
                    if (h is not null) pre = Add("Add", [pre, Add("MatMul", [h, recurrentWeights[g]], rows, name + "_recurrent")], rows, name + "_pre");
                    return Add(g == 3 ? "Tanh" : "Sigmoid", [pre], rows, name);
                }
                var i = Gate(0);
                var o = Gate(1);
                var candidate = Gate(3);
                var input = Add("Mul", [i, candidate], rows, $"{step}/i_c");
                c = c is null ? input : Add("Add", [Add("Mul", [Gate(2), c], rows, $"{step}/f_c"), input], rows, $"{step}/cell");
                h = Add("Mul", [o, Add("Tanh", [c], rows, $"{step}/cell_tanh")], rows, $"{step}/hidden");
                if (node.Output(0) is not null) ys.Add(Reshape(h, [1, 1, batch, hidden], $"{step}/y"));
            }
            var replacements = new List<(Value, Value)>();
            if (node.Output(0) is { } y)
            {
                replacements.Add((y, ys.Count == 1 ? ys[0] : AddWith("Concat", [.. ys], [steps, 1, batch, hidden], "y", NodeAttribute.Int("axis", 0))));
            }
            if (node.Output(1) is { } yh) replacements.Add((yh, Reshape(h!, [1, batch, hidden], "y_h")));
            if (node.Output(2) is { } yc) replacements.Add((yc, Reshape(c!, [1, batch, hidden], "y_c")));
            return new Rewrite(_nodes, [.. replacements]);
        }

        /// <summary>Rows [offset, offset + count) of a [1, 4H, K] weight as a [K, count] right operand.</summary>
        private static Tensor Transposed(ReadOnlySpan<float> weights, int offset, int count, int k)
        {
            var result = new float[k * count];
            for (int row = 0; row < count; row++)
            {
                for (int col = 0; col < k; col++) result[col * count + row] = weights[(offset + row) * k + col];
            }
            return Tensor.Create([k, count], result);
        }

        private Value Ints(long[] values) => context.NewConstant($"{_prefix}/ints", Tensor.Create([values.Length], values));

        private Value Reshape(Value value, int[] shape, string hint) =>
            Add("Reshape", [value, Ints(shape.Select(d => (long)d).ToArray())], shape, hint);

        private Value Add(string op, Value[] inputs, int[] shape, string hint) => AddWith(op, inputs, shape, hint);

        private Value AddWith(string op, Value[] inputs, int[] shape, string hint, params NodeAttribute[] attributes)
        {
            var output = context.NewValue($"{_prefix}/{hint}", new TensorType(DataType.Float32, TensorShape.FromConcrete(shape)));
            var created = new Node(op, inputs, [output], string.Empty, output.Name);
            foreach (var a in attributes) created.SetAttribute(a);
            _nodes.Add(created);
            return output;
        }
    }
}
