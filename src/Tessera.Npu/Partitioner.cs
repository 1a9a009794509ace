using Tessera.Compiler;
using Tessera.Compiler.Layers;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Npu.Mapping;

namespace Tessera.Npu;

/// <summary>Splits an integer program between the NPU and the CPU: each step is mapped by its
/// <see cref="IStepMapper"/> or stays on the CPU with the mapper's reason; consecutive mapped steps form a
/// segment compiled into one program. A layer the compiler cannot lower (a size or limit of the configuration)
/// sends its step to the CPU with the compiler's message, and the partition is rebuilt.</summary>
public static class Partitioner
{
    /// <param name="exposeAll">Make every value a segment produces an output of its program (tests compare each
    /// intermediate tensor with the reference executor).</param>
    /// <param name="cpuSteps">Steps (by index in the program) known to stay on the CPU, with their reason: a
    /// loaded package's compiler decisions.</param>
    /// <param name="compile">Makes the compiled network of segment i (default: the compiler); a loaded package
    /// returns its stored program here.</param>
    public static ModelPartition Partition(IntegerProgram program, ProgramValues values, NpuSpec spec, bool exposeAll = false,
        IReadOnlyDictionary<int, string>? cpuSteps = null, Func<int, Network, CompiledNetwork>? compile = null)
    {
        var forced = new Dictionary<IntegerStep, string>();
        foreach (var (index, reason) in cpuSteps ?? new Dictionary<int, string>())
        {
            if (index < 0 || index >= program.Steps.Count) throw new InvalidInputException($"step {index} does not exist (the program has {program.Steps.Count})");
            forced[program.Steps[index]] = reason;
        }
        compile ??= (_, network) => NetworkCompiler.Compile(spec, network);
        while (true)
        {
            var (partition, failure) = TryPartition(program, values, spec, forced, exposeAll, compile);
            if (partition is not null) return partition;
            forced[failure!.Value.Step] = failure.Value.Reason;
        }
    }

    private static (ModelPartition?, (IntegerStep Step, string Reason)?) TryPartition(IntegerProgram program, ProgramValues values, NpuSpec spec,
        Dictionary<IntegerStep, string> forced, bool exposeAll, Func<int, Network, CompiledNetwork> compile)
    {
        var layerNames = new HashSet<string>(StringComparer.Ordinal);
        var drafts = new List<object>();
        var current = new SegmentBuilder(values, layerNames);
        void Close()
        {
            if (current.IsEmpty) return;
            if (current.Layers.All(l => l is ReshapeLayer))
            {
                // A segment that only renames bytes is no work for the NPU; its steps stay with the host.
                drafts.AddRange(current.Steps.Select(s => new CpuStep(s, "only a reshape between CPU steps: done on the host", 0)));
            }
            else
            {
                drafts.Add(current);
            }
            current = new SegmentBuilder(values, layerNames);
        }
        foreach (var step in program.Steps)
        {
            string? reason = forced.TryGetValue(step, out var f) ? f : Map(step, values, ref current, Close);
            if (reason is null) continue;
            Close();
            drafts.Add(new CpuStep(step, reason, StepCosts.Macs(step, values)));
        }
        Close();

        var wanted = new HashSet<string>(program.Outputs.Concat(program.IntegerOutputs.Values), StringComparer.Ordinal);
        var items = new List<PartitionItem>();
        for (int i = 0; i < drafts.Count; i++)
        {
            if (drafts[i] is CpuStep cpu)
            {
                items.Add(cpu);
                continue;
            }
            var segment = (SegmentBuilder)drafts[i];
            var readElsewhere = new HashSet<string>(drafts.Where((d, j) => j != i).SelectMany(Reads), StringComparer.Ordinal);
            var outputs = segment.Produced.Where(p => exposeAll || wanted.Contains(p.Value) || readElsewhere.Contains(p.Value)).ToList();
            CompiledNetwork compiled;
            int index = items.OfType<NpuSegment>().Count();
            try
            {
                compiled = compile(index, segment.Network(outputs.Select(o => o.Value)));
            }
            catch (TesseraException e) when (e.Where is { } layer && segment.LayerOwners.TryGetValue(layer, out var owner))
            {
                return (null, (owner, "compiler: " + e.Message));
            }
            items.Add(new NpuSegment(index, segment.Steps, compiled,
                segment.Inputs.Select(v => Boundary(v.Value, v.Layout, values)).ToList(),
                outputs.Select(v => Boundary(v.Value, v.Layout, values)).ToList(),
                segment.Steps.Sum(s => StepCosts.Macs(s, values))));
        }
        return (new ModelPartition(program, values, spec, items), null);
    }

    private static string? Map(IntegerStep step, ProgramValues values, ref SegmentBuilder current, Action close)
    {
        var rounding = step switch { ConvolutionStep c => c.Requantizer?.Rounding, MatMulStep m => m.Requantizer?.Rounding, _ => null };
        if (rounding is { } r && r != RequantizationRounding.Double)
        {
            return $"the NPU requantizes with two roundings (gemmlowp) only; this step rounds '{r.ToString().ToLowerInvariant()}'";
        }
        if (step is BinaryStep { OnnxRuntime: true } or PoolStep { OnnxRuntime: true } or ConcatStep { OnnxRuntime: true } or RequantizeStep { OnnxRuntime: true })
        {
            return "the NPU has integer arithmetic only; this step follows ONNX Runtime's float32 arithmetic";
        }
        if (StepMappers.For(step) is not { } mapper)
        {
            return step.IsFloat ? $"{step.Kind} runs in float on the host" : $"no NPU layer for {step.Kind} yet";
        }
        try
        {
            var context = current.Begin(step);
            string? reason;
            try
            {
                reason = mapper.Map(step, context);
            }
            catch (LayoutConflictException)
            {
                close();
                context = current.Begin(step);
                reason = mapper.Map(step, context);
            }
            if (reason is null) current.Commit(context);
            return reason;
        }
        catch (TesseraException e)
        {
            return e.Message;
        }
    }

    private static IEnumerable<string> Reads(object draft) => draft switch
    {
        CpuStep cpu => cpu.Step.Inputs,
        SegmentBuilder segment => segment.Inputs.Select(i => i.Value),
        _ => [],
    };

    private static BoundaryValue Boundary(string name, NpuLayout layout, ProgramValues values) =>
        new(name, values.Shape(name), layout, values.IsUnsigned(name));
}
