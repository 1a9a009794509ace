using Tessera.Core;

namespace Tessera.Ops.ControlFlow;

/// <summary>Scan: runs the body once per slice of the scan inputs, threading N state values through.
/// Opset 9+: inputs are (N initial states, M scan inputs), each scan input sliced along its
/// scan_input_axes entry, forward or reversed per scan_input_directions; scan outputs are stacked along
/// scan_output_axes, reversed per scan_output_directions. Opset 8: input 0 is the optional
/// sequence_lens, every tensor has a leading batch axis, scan inputs are sliced along axis 1 and the
/// directions attribute reverses them; an entry shorter than the scan axis (sequence_lens) runs only
/// its own steps and its scan outputs are padded with zeros.</summary>
[Op("Scan")]
public sealed class Scan : Operator
{
    public override void Execute(KernelContext context)
    {
        if (context.Opset < 9)
        {
            ExecuteBatched(context);
            return;
        }
        var body = context.GetGraph("body");
        int m = (int)context.GetInt("num_scan_inputs");
        int n = context.InputCount - m;
        var states = Enumerable.Range(0, n).Select(context.Input).ToArray();
        var scanInputs = Enumerable.Range(n, m).Select(context.Input).ToArray();
        var results = Run(context, body, states, scanInputs,
            context.GetInts("scan_input_axes"), context.GetInts("scan_input_directions"),
            context.GetInts("scan_output_axes"), context.GetInts("scan_output_directions"));
        for (int i = 0; i < results.Length; i++) context.SetOutput(i, results[i]);
    }

    private static Tensor[] Run(KernelContext context, Graph body, Tensor[] states, Tensor[] scanInputs,
        long[]? inputAxes, long[]? inputDirections, long[]? outputAxes, long[]? outputDirections)
    {
        int n = states.Length, m = scanInputs.Length;
        int k = body.Outputs.Count - n;
        if (k < 0 || body.Inputs.Count != n + m) throw context.Invalid("the body's inputs and outputs do not match the scan's");
        var axes = new int[m];
        int length = -1;
        for (int j = 0; j < m; j++)
        {
            axes[j] = ShapeMath.NormalizeAxis(inputAxes is null ? 0 : inputAxes[j], scanInputs[j].Rank, context.Node.DisplayName);
            int len = scanInputs[j].Shape[axes[j]];
            if (length >= 0 && len != length) throw context.Invalid($"scan inputs have different lengths {length} and {len}");
            length = len;
        }
        if (length < 0) throw context.Invalid("scan has no scan inputs");

        var scans = new List<Tensor>[k];
        for (int j = 0; j < k; j++) scans[j] = [];
        var current = states.Cast<DataValue?>().ToArray();
        for (int t = 0; t < length; t++)
        {
            var inputs = new DataValue?[n + m];
            Array.Copy(current, inputs, n);
            for (int j = 0; j < m; j++)
            {
                bool reverse = inputDirections is not null && inputDirections[j] != 0;
                inputs[n + j] = ControlFlowTypes.Slice(scanInputs[j], axes[j], reverse ? length - 1 - t : t);
            }
            var outputs = context.RunSubgraph(body, inputs);
            for (int j = 0; j < n; j++) current[j] = outputs[j];
            for (int j = 0; j < k; j++) scans[j].Add(outputs[n + j] as Tensor ?? throw context.Invalid($"scan output {j} is not a tensor"));
        }

        var results = new Tensor[n + k];
        for (int j = 0; j < n; j++) results[j] = current[j] as Tensor ?? throw context.Invalid($"state {j} is not a tensor");
        for (int j = 0; j < k; j++)
        {
            if (outputDirections is not null && outputDirections[j] != 0) scans[j].Reverse();
            int rank = (scans[j].Count > 0 ? scans[j][0].Rank : (body.Outputs[n + j].TensorType?.Shape?.Rank ?? 0)) + 1;
            int axis = ShapeMath.NormalizeAxis(outputAxes is null ? 0 : outputAxes[j], rank, context.Node.DisplayName);
            results[n + j] = ControlFlowTypes.Stack(scans[j], axis, body.Outputs[n + j].Type, context.Node.DisplayName);
        }
        return results;
    }

    /// <summary>Opset 8: one independent scan per batch entry, results stacked along axis 0.</summary>
    private static void ExecuteBatched(KernelContext context)
    {
        var body = context.GetGraph("body");
        int m = (int)context.GetInt("num_scan_inputs");
        var lengths = context.OptionalInput(0);
        int n = context.InputCount - 1 - m;
        var states = Enumerable.Range(1, n).Select(context.Input).ToArray();
        var scanInputs = Enumerable.Range(1 + n, m).Select(context.Input).ToArray();
        int batch = states.Length > 0 ? states[0].Shape[0] : scanInputs[0].Shape[0];
        int full = scanInputs.Length > 0 ? scanInputs[0].Shape[1] : 0;
        var seqLens = lengths?.ToInt64Array();
        if (seqLens is not null && seqLens.Length != batch) throw context.Invalid($"sequence_lens has {seqLens.Length} entries for a batch of {batch}");
        var perBatch = new List<Tensor[]>();
        for (int b = 0; b < batch; b++)
        {
            int length = seqLens is null ? full : (int)seqLens[b];
            if (length < 0 || length > full) throw context.Invalid($"sequence length {length} is outside [0, {full}]");
            var s = states.Select(x => ControlFlowTypes.Slice(x, 0, b)).ToArray();
            var xs = scanInputs.Select(x => LeadingRows(ControlFlowTypes.Slice(x, 0, b), length)).ToArray();
            var results = Run(context, body, s, xs, null, context.GetInts("directions"), null, null);
            // Entries shorter than the scan axis get zero rows after their last step.
            for (int j = s.Length; j < results.Length; j++) results[j] = ZeroPadRows(results[j], full);
            perBatch.Add(results);
        }
        int outputs = body.Outputs.Count;
        for (int j = 0; j < outputs; j++)
        {
            var items = perBatch.Select(r => r[j]).ToList();
            context.SetOutput(j, ControlFlowTypes.Stack(items, 0, null, context.Node.DisplayName));
        }
    }

    /// <summary>The first <paramref name="rows"/> entries of <paramref name="x"/> along axis 0.</summary>
    private static Tensor LeadingRows(Tensor x, int rows)
    {
        if (rows == x.Shape[0]) return x;
        var shape = (int[])x.Shape.Clone();
        shape[0] = rows;
        var result = Tensor.Zeros(x.DataType, shape);
        Array.Copy(x.Data, result.Data, result.Length);
        return result;
    }

    /// <summary><paramref name="x"/> extended with zero entries along axis 0 up to <paramref name="rows"/>.</summary>
    private static Tensor ZeroPadRows(Tensor x, int rows)
    {
        if (x.Rank == 0 || x.Shape[0] >= rows) return x;
        var shape = (int[])x.Shape.Clone();
        shape[0] = rows;
        var result = Tensor.Zeros(x.DataType, shape);
        Array.Copy(x.Data, result.Data, x.Length);
        return result;
    }

    public override void InferTypes(InferenceContext context)
    {
        var body = context.GetGraph("body");
        if (context.Opset < 9) return;
        int m = (int)context.GetInt("num_scan_inputs");
        int n = context.InputCount - m;
        for (int j = 0; j < n; j++) context.SetOutputType(j, context.InputType(j));
        var outputAxes = context.GetInts("scan_output_axes");
        for (int j = n; j < body.Outputs.Count && j < context.Node.Outputs.Count; j++)
        {
            int axis = outputAxes is not null && j - n < outputAxes.Length ? (int)outputAxes[j - n] : 0;
            if (axis < 0) continue;
            context.SetOutputType(j, ControlFlowTypes.Stacked(body.Outputs[j].Type, Dim.Unknown, axis));
        }
    }
}
