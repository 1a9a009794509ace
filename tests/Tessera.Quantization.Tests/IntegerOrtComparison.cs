using Microsoft.ML.OnnxRuntime;
using Tessera.Core;
using Tessera.Integer;
using Tessera.Onnx;
using Tessera.Testing;
using Tensor = Tessera.Core.Tensor;

namespace Tessera.Quantization.Tests;

/// <summary>Differences between two 8-bit tensors in quantization steps: how many elements are equal, one step
/// apart, and the largest difference.</summary>
internal sealed class StepAgreement
{
    public long Count { get; private set; }

    public long Exact { get; private set; }

    public long OffByOne { get; private set; }

    public long Maximum { get; private set; }

    public double ExactFraction => Count == 0 ? 0 : (double)Exact / Count;

    public double WithinOneStep => Count == 0 ? 0 : (double)(Exact + OffByOne) / Count;

    public void Add(Tensor expected, Tensor actual)
    {
        if (expected.DataType != actual.DataType) throw new InvalidOperationException($"{expected.DataType} against {actual.DataType}");
        if (!expected.Shape.SequenceEqual(actual.Shape)) throw new InvalidOperationException($"shape [{string.Join(",", expected.Shape)}] against [{string.Join(",", actual.Shape)}]");
        for (int i = 0; i < expected.Length; i++) Add(Math.Abs(expected.GetInt64(i) - actual.GetInt64(i)));
    }

    public void Add(StepAgreement other)
    {
        Count += other.Count;
        Exact += other.Exact;
        OffByOne += other.OffByOne;
        Maximum = Math.Max(Maximum, other.Maximum);
    }

    private void Add(long difference)
    {
        Count++;
        if (difference == 0) Exact++;
        else if (difference == 1) OffByOne++;
        Maximum = Math.Max(Maximum, difference);
    }

    public override string ToString() => Count == 0 ? "nothing compared"
        : $"{Count} elements, {100.0 * ExactFraction:F2}% exact, {100.0 * WithinOneStep:F3}% within 1 step, max {Maximum}";
}

/// <summary>What one comparison of the integer executor with ONNX Runtime measured.</summary>
/// <param name="Final">The int8 tensors the graph outputs dequantize (for an output that is not a dequantized int8
/// tensor, e.g. a float Softmax island or an int32-accumulator output, the nearest quantized tensor it is computed
/// from).</param>
/// <param name="Accumulated">Every QuantizeLinear output of the model, each engine running the whole model on its own
/// (one-step differences propagate).</param>
/// <param name="Local">Every integer step fed ONNX Runtime's own int8 inputs, its output compared with ONNX Runtime's:
/// the error each step adds by itself.</param>
/// <param name="LocalByKind">The local comparison per step kind ("int.Conv", "int.Lookup(Sigmoid)", ...).</param>
/// <param name="FusedOps">QLinear*/integer op count in ONNX Runtime's optimized graph (0 when not fused).</param>
internal sealed record IntegerOrtResult(StepAgreement Final, StepAgreement Accumulated, StepAgreement Local,
    IReadOnlyDictionary<string, StepAgreement> LocalByKind, IReadOnlyDictionary<string, StepAgreement> FinalByTensor, int FusedOps)
{
    /// <summary>The figures as the tests print them, one line each.</summary>
    public IEnumerable<string> Lines()
    {
        yield return $"  final:       {Final}";
        foreach (var (o, a) in FinalByTensor) yield return $"    {o}: {a}";
        yield return $"  accumulated: {Accumulated}";
        yield return $"  local:       {Local}";
        foreach (var (kind, a) in LocalByKind) yield return $"    {kind}: {a} ({a.Count - a.Exact} not exact)";
    }

    /// <summary>Every integer step, fed ONNX Runtime's int8 inputs, is within one step of ONNX Runtime's output on
    /// >= 99.9% of more than <paramref name="minimumCount"/> elements, and never more than one step off.</summary>
    public void AssertLocalWithinOneStep(int minimumCount, string label)
    {
        Assert.True(Local.Count > minimumCount, $"only {Local.Count} elements compared locally");
        Assert.True(Local.WithinOneStep >= 0.999, $"{label} local: {Local}");
        Assert.True(Local.Maximum <= 1, $"{label} local: {Local}");
    }
}

/// <summary>Runs a QDQ file in ONNX Runtime and in the integer reference executor and compares every int8 tensor in
/// units of its quantization step. ONNX Runtime sees the file with every QuantizeLinear output made a graph output
/// (the int8 values themselves, no dequantization in between).</summary>
internal sealed class IntegerOrtComparison
{
    private readonly byte[] _exposed;
    private readonly List<string> _quantized;
    private readonly Dictionary<string, string> _finalTensors = new(StringComparer.Ordinal);

    public IntegerOrtComparison(Model qdq)
    {
        var bytes = OnnxExporter.ToBytes(qdq);
        Program = IntegerLowering.Lower(OnnxImporter.Load(bytes, "qdq"));
        var exposed = OnnxImporter.Load(bytes, "qdq-exposed");
        var graph = exposed.Graph;
        var quantizers = graph.Nodes.Where(n => n.OpType == "QuantizeLinear" && n.Outputs[0] is not null).ToList();
        _quantized = quantizers.Select(n => n.Outputs[0]!.Name).ToList();
        var present = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var node in quantizers)
        {
            var value = node.Outputs[0]!;
            var zero = node.Inputs.Count > 2 ? node.Inputs[2] : null;
            var type = zero is not null && (zero.Constant?.DataType ?? zero.TensorType?.ElementType) is { } t ? t : DataType.UInt8;
            value.Type = new TensorType(type, null);
            if (present.Add(value.Name)) graph.Outputs.Add(value);
        }
        _exposed = OnnxExporter.ToBytes(exposed);

        // The int8 tensor behind each graph output: the DequantizeLinear's input, or else the nearest QuantizeLinear
        // output found walking back through the producers.
        var original = OnnxImporter.Load(bytes, "qdq-outputs").Graph;
        foreach (var output in original.Outputs)
        {
            var queue = new Queue<Value>([output]);
            var seen = new HashSet<Value>();
            while (queue.Count > 0)
            {
                var value = queue.Dequeue();
                if (!seen.Add(value) || value.Producer is not { } producer) continue;
                if (producer.OpType == "QuantizeLinear")
                {
                    _finalTensors[output.Name] = value.Name;
                    break;
                }
                if (producer.OpType == "DequantizeLinear" && producer.Inputs[0] is { Producer.OpType: "QuantizeLinear" } q)
                {
                    _finalTensors[output.Name] = q.Name;
                    break;
                }
                foreach (var input in producer.Inputs) if (input is { Constant: null }) queue.Enqueue(input);
            }
        }
    }

    public IntegerProgram Program { get; }

    /// <summary>Graph output -> the int8 tensor compared for it.</summary>
    public IReadOnlyDictionary<string, string> FinalTensors => _finalTensors;

    /// <summary>Compares <paramref name="program"/> (this model's program, possibly with another requantization
    /// profile) with ONNX Runtime at <paramref name="level"/> on each of <paramref name="samples"/>.</summary>
    public IntegerOrtResult Compare(IntegerProgram program, IEnumerable<IReadOnlyDictionary<string, Tensor>> samples, GraphOptimizationLevel level)
    {
        var final = new StepAgreement();
        var accumulated = new StepAgreement();
        var local = new StepAgreement();
        var byKind = new SortedDictionary<string, StepAgreement>(StringComparer.Ordinal);
        var byTensor = new SortedDictionary<string, StepAgreement>(StringComparer.Ordinal);
        int fused = 0;
        foreach (var inputs in samples)
        {
            var (ort, fusedOps) = RunOrt(_exposed, inputs, level);
            fused = fusedOps;
            var state = program.Run(inputs);
            foreach (var name in _quantized.Where(state.Contains)) accumulated.Add(ort[name], state.Original(name));
            foreach (var (output, tensor) in _finalTensors)
            {
                if (!state.Contains(tensor)) continue;
                var one = new StepAgreement();
                one.Add(ort[tensor], state.Original(tensor));
                final.Add(one);
                if (!byTensor.TryGetValue(output, out var sum)) byTensor[output] = sum = new StepAgreement();
                sum.Add(one);
            }

            // Local: ONNX Runtime's values in place of the executor's, then each integer step alone.
            foreach (var name in _quantized.Where(state.Contains)) state.Set(name, ort[name]);
            foreach (var step in program.Steps)
            {
                // The quantization of a graph input is compared too (both engines read the same float input).
                bool inputQuantize = step is QuantizeStep && program.Inputs.Contains(step.Inputs[0]);
                if ((step.IsFloat && !inputQuantize) || step.Outputs.Count != 1 || !ort.ContainsKey(step.Outputs[0])) continue;
                var output = step.Outputs[0];
                if (!step.Inputs.Where(i => i.Length > 0 && !program.Constants.ContainsKey(i)).All(i => ort.ContainsKey(i) || !IsEightBit(state, i))) continue;
                step.Execute(state);
                var one = new StepAgreement();
                one.Add(ort[output], state.Original(output));
                local.Add(one);
                if (!byKind.TryGetValue(step.Kind, out var sum)) byKind[step.Kind] = sum = new StepAgreement();
                sum.Add(one);
                state.Set(output, ort[output]);
            }
        }
        return new IntegerOrtResult(final, accumulated, local, byKind, byTensor, fused);
    }

    private static bool IsEightBit(IntegerState state, string name) => state.Contains(name) && state.Get(name).DataType == DataType.Int8;

    /// <summary>Runs <paramref name="model"/> in ONNX Runtime (one thread) and counts the QLinear* and *Integer
    /// nodes of the graph it optimized to.</summary>
    public static (Dictionary<string, Tensor> Outputs, int FusedOps) RunOrt(byte[] model, IReadOnlyDictionary<string, Tensor> inputs, GraphOptimizationLevel level)
    {
        var optimized = Path.Combine(Path.GetTempPath(), "tessera-ort-" + Guid.NewGuid().ToString("N") + ".onnx");
        try
        {
            Dictionary<string, Tensor> outputs;
            using (var options = new Microsoft.ML.OnnxRuntime.SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = 1, OptimizedModelFilePath = optimized })
            using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model, options))
            {
                var names = inputs.Keys.ToArray();
                var values = names.Select(n => OrtBridge.ToOrt(inputs[n])).ToArray();
                try
                {
                    var outputNames = session.OutputNames.ToArray();
                    using var runOptions = new RunOptions();
                    using var results = session.Run(runOptions, names, values, outputNames);
                    outputs = outputNames.Select((n, i) => (n, OrtBridge.FromOrt(results[i]))).ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal);
                }
                finally
                {
                    foreach (var v in values) v.Dispose();
                }
            }
            int fused = File.Exists(optimized)
                ? OnnxImporter.Load(optimized).Graph.Nodes.Count(n => n.OpType.StartsWith("QLinear", StringComparison.Ordinal) || n.OpType.EndsWith("Integer", StringComparison.Ordinal))
                : 0;
            return (outputs, fused);
        }
        finally
        {
            if (File.Exists(optimized)) File.Delete(optimized);
        }
    }
}
