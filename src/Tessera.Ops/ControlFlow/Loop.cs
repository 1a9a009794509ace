using Tessera.Core;

namespace Tessera.Ops.ControlFlow;

/// <summary>Loop: runs the body while (i &lt; M, when M is given) and (cond, when given). The body gets
/// (iteration number, condition, loop-carried values...) and returns (condition, loop-carried values...,
/// scan outputs...). Loop-carried values may be tensors, sequences or optionals; each scan output is
/// stacked over the iterations along a new first axis.</summary>
[Op("Loop")]
public sealed class Loop : Operator
{
    /// <summary>Guards against a body that never turns its condition false.</summary>
    public const long MaxIterations = 100_000_000;

    public override void Execute(KernelContext context)
    {
        var body = context.GetGraph("body");
        var maxTrips = context.OptionalInput(0);
        var condInput = context.OptionalInput(1);
        long limit = maxTrips is null ? long.MaxValue : maxTrips.GetInt64(0);
        bool cond = condInput is null || condInput.GetDouble(0) != 0;
        int carried = context.InputCount - 2;
        if (carried < 0) carried = 0;
        int scanCount = body.Outputs.Count - 1 - carried;
        if (scanCount < 0) throw context.Invalid($"body has {body.Outputs.Count} outputs but the loop carries {carried} values");

        var state = new DataValue?[carried];
        for (int k = 0; k < carried; k++) state[k] = context.InputValue(k + 2);
        var scans = new List<Tensor>[scanCount];
        for (int k = 0; k < scanCount; k++) scans[k] = [];

        for (long i = 0; i < limit && cond; i++)
        {
            if (i >= MaxIterations) throw context.Invalid($"loop ran more than {MaxIterations} iterations");
            var inputs = new DataValue?[2 + carried];
            inputs[0] = Tensor.Scalar(i);
            inputs[1] = Tensor.Scalar(cond);
            Array.Copy(state, 0, inputs, 2, carried);
            var outputs = context.RunSubgraph(body, inputs);
            cond = outputs[0] is Tensor c ? c.GetDouble(0) != 0 : throw context.Invalid("body returned no condition");
            for (int k = 0; k < carried; k++) state[k] = outputs[1 + k];
            for (int k = 0; k < scanCount; k++)
            {
                scans[k].Add(outputs[1 + carried + k] as Tensor ?? throw context.Invalid($"scan output {k} is not a tensor"));
            }
        }

        for (int k = 0; k < carried; k++)
        {
            if (state[k] is { } v) context.SetOutput(k, v);
        }
        for (int k = 0; k < scanCount; k++)
        {
            var declared = body.Outputs[1 + carried + k].Type;
            context.SetOutput(carried + k, ControlFlowTypes.Stack(scans[k], 0, declared, context.Node.DisplayName));
        }
    }

    public override void InferTypes(InferenceContext context)
    {
        var body = context.GetGraph("body");
        int carried = System.Math.Max(0, context.InputCount - 2);
        for (int k = 0; k < carried; k++)
        {
            var t = context.InputType(k + 2) ?? (1 + k < body.Outputs.Count ? body.Outputs[1 + k].Type : null);
            if (t is TensorType tt) t = new TensorType(tt.ElementType, null);
            context.SetOutputType(k, t);
        }
        for (int k = carried; k < context.Node.Outputs.Count && 1 + k < body.Outputs.Count; k++)
        {
            context.SetOutputType(k, ControlFlowTypes.Stacked(body.Outputs[1 + k].Type, Dim.Unknown));
        }
    }
}
