using System.Runtime.CompilerServices;
using Tessera.Core;
using Tessera.Hardware;
using G = Tessera.Simulator.Fields.Gemm;

namespace Tessera.Simulator;

public sealed class SimulationOptions
{
    /// <summary>Record one trace event per instruction (costs memory on long programs).</summary>
    public bool Trace { get; init; }

    public KernelPath Kernel { get; init; } = KernelPath.Automatic;

    /// <summary>Check every access against the dependency tokens (on by default; off only to measure its cost).</summary>
    public bool CheckHazards { get; init; } = true;

    /// <summary>Called before each gemm executes, with the instruction and the memories as the gemm finds them
    /// (the RTL co-simulation takes the real operands of a compiled program's tiles from here).</summary>
    public Action<Instruction, MachineState>? BeforeGemm { get; init; }
}

public sealed class SimulationResult
{
    public required SimulationReport Report { get; init; }
    public required IReadOnlyDictionary<string, byte[]> Outputs { get; init; }
    public required IReadOnlyList<TraceEvent> Trace { get; init; }
    public required MachineState State { get; init; }
}

/// <summary>Runs an NPU program in one pass that is both functional (bit-exact int8/int32 results) and
/// timed (cycles, traffic, energy). Each queue keeps its own clock; the next instruction to execute is the
/// queue head whose tokens are available and that can start earliest, so execution order respects every
/// dependency the program declares, and the hazard tracker rejects any dependency it forgot to declare.</summary>
public sealed class NpuSimulator
{
    private readonly NpuSpec spec;
    private readonly NpuProgram program;
    private readonly TimingModel timing;
    private readonly GemmKernel kernel;
    private readonly SimulationOptions options;
    private readonly MachineState state;
    private readonly HazardTracker hazards = new();
    private readonly Queue<(long Time, long[] Clock)>[,] channels = new Queue<(long, long[])>[4, 4];
    private readonly long[] queueFree = new long[4];
    private readonly bool[] queueStarted = new bool[4];
    private readonly List<Access> accesses = [];
    private readonly List<TraceEvent> trace = [];
    private readonly SimulationReport report;
    private long dramFree;

    private NpuSimulator(NpuSpec spec, NpuProgram program, SimulationOptions options)
    {
        if (program.SpecHash != 0 && program.SpecHash != spec.Hash)
        {
            throw new InvalidInputException($"the program was built for another NPU configuration (hash 0x{program.SpecHash:x16}, '{spec.Name}' is 0x{spec.Hash:x16})", "program", "reassemble it with '.spec " + spec.Name + "' or pick the matching --npu");
        }
        if (program.DramBytes > spec.DramBytes)
        {
            throw new InvalidInputException($"the program needs {program.DramBytes} bytes of DRAM, '{spec.Name}' has {spec.DramBytes}", "program");
        }
        this.spec = spec;
        this.program = program;
        this.options = options;
        timing = new TimingModel(spec);
        kernel = new GemmKernel(options.Kernel);
        state = new MachineState(spec, program.DramBytes);
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++) channels[i, j] = new Queue<(long, long[])>();
        }
        report = new SimulationReport
        {
            Configuration = spec.Name,
            Model = "Tessera NPU timing model v1 (docs/npu.md): per-queue clocks, shared DRAM channel, pipelined systolic array",
            ClockMegahertz = spec.ClockMegahertz,
            ArrayMacSlots = spec.MacCount,
        };
    }

    /// <summary>Runs <paramref name="program"/>; inputs not given are zero.</summary>
    public static SimulationResult Run(NpuSpec spec, NpuProgram program, IReadOnlyDictionary<string, byte[]>? inputs = null, SimulationOptions? options = null)
    {
        var simulator = new NpuSimulator(spec, program, options ?? new SimulationOptions());
        simulator.Place(inputs ?? new Dictionary<string, byte[]>());
        simulator.Execute();
        var outputs = program.Outputs.ToDictionary(t => t.Name, t => simulator.state.Dram.AsSpan((int)t.DramAddress, (int)t.ByteLength).ToArray());
        return new SimulationResult { Report = simulator.report, Outputs = outputs, Trace = simulator.trace, State = simulator.state };
    }

    private void Place(IReadOnlyDictionary<string, byte[]> inputs)
    {
        foreach (var constant in program.Constants) constant.Bytes.CopyTo(state.Dram.AsSpan((int)constant.DramAddress));
        foreach (var (name, bytes) in inputs)
        {
            var tensor = program.Inputs.FirstOrDefault(t => t.Name == name)
                ?? throw new InvalidInputException($"the program has no input '{name}'", hint: $"inputs: {string.Join(", ", program.Inputs.Select(t => t.Name))}");
            if (bytes.Length != tensor.ByteLength)
            {
                throw new InvalidInputException($"input '{name}' has {bytes.Length} bytes, expected {tensor.ByteLength} ({Disassembler.TypeName(tensor.Type)} {string.Join('x', tensor.Shape)})");
            }
            bytes.CopyTo(state.Dram.AsSpan((int)tensor.DramAddress));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Execute()
    {
        var queues = Enumerable.Range(0, 4).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < program.Instructions.Count; i++)
        {
            var instruction = program.Instructions[i];
            if (instruction.Opcode == Opcode.End) break;
            queues[(int)instruction.Queue!.Value].Add(i);
        }
        var heads = new int[4];
        for (int q = 0; q < 4; q++)
        {
            if (queues[q].Count == 0) hazards.Finish(q);
        }
        long end = 0;
        while (true)
        {
            int best = -1;
            long bestStart = long.MaxValue;
            bool pending = false;
            for (int q = 0; q < 4; q++)
            {
                if (heads[q] >= queues[q].Count) continue;
                pending = true;
                if (ReadyAt(q, program.Instructions[queues[q][heads[q]]]) is long start && start < bestStart)
                {
                    best = q;
                    bestStart = start;
                }
            }
            if (!pending) break;
            if (best < 0) throw Deadlock(queues, heads);
            int index = queues[best][heads[best]++];
            if (heads[best] == queues[best].Count) hazards.Finish(best);
            end = Math.Max(end, Step(best, index, bestStart));
        }
        report.TotalCycles = end;
        report.ComputeEnergy(spec);
    }

    private long? ReadyAt(int queue, Instruction instruction)
    {
        long start = queueFree[queue];
        int wait = instruction.WaitMask;
        for (int from = 0; from < 4; from++)
        {
            if ((wait & (1 << from)) == 0) continue;
            var channel = channels[from, queue];
            if (channel.Count == 0) return null;
            start = Math.Max(start, channel.Peek().Time);
        }
        return start;
    }

    private SimulationException Deadlock(List<int>[] queues, int[] heads)
    {
        var blocked = Enumerable.Range(0, 4).Where(q => heads[q] < queues[q].Count).Select(q => queues[q][heads[q]]).Order().ToList();
        int first = blocked[0];
        var instruction = program.Instructions[first];
        var missing = Enumerable.Range(0, 4).Where(from => (instruction.WaitMask & (1 << from)) != 0 && channels[from, (int)instruction.Queue!.Value].Count == 0)
            .Select(from => ((QueueKind)from).ToString().ToLowerInvariant());
        var others = blocked.Skip(1).Select(i => $"{i} `{Disassembler.Format(program.Instructions[i])}`");
        return new SimulationException(
            $"token deadlock: waits for a token from the {string.Join(" and ", missing)} queue that will never come" + (others.Any() ? $"; also blocked: {string.Join(", ", others)}" : ""),
            first, Disassembler.Format(instruction), "every wait needs a matching signal earlier in the sending queue");
    }

    private SimulationException Error(int index, string message, string? hint = null) => new(message, index, Disassembler.Format(program.Instructions[index]), hint);

    /// <summary>Executes one instruction at <paramref name="start"/>; returns the cycle its results are visible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long Step(int queue, int index, long start)
    {
        var instruction = program.Instructions[index];
        long arrival = 0; // when the last token the instruction waits for came: its operands are there
        for (int from = 0; from < 4; from++)
        {
            if ((instruction.WaitMask & (1 << from)) == 0) continue;
            var token = channels[from, queue].Dequeue();
            arrival = Math.Max(arrival, token.Time);
            hazards.Receive(queue, token.Clock);
        }
        accesses.Clear();
        switch (instruction.Opcode)
        {
            case Opcode.Load or Opcode.Store: DmaEngine.Accesses(instruction, accesses); break;
            case Opcode.Gemm: GemmAccesses(instruction); break;
            case Opcode.Vector: VectorUnit.Accesses(instruction, accesses); break;
        }
        foreach (var access in accesses)
        {
            long size = state.Size(access.Store);
            if (access.Start < 0 || access.End > size)
            {
                string unit = MachineState.Unit(access.Store);
                throw Error(index, $"{(access.Write ? "writes" : "reads")} {MachineState.Name(access.Store)} [{access.Start}, {access.End}) outside its {size} {unit}",
                    access.Store == Store.Dram ? "DRAM is the program's .dram size" : $"scratchpad sizes come from the '{spec.Name}' configuration");
            }
        }
        if (options.CheckHazards && hazards.Check(queue, accesses, i => Disassembler.Format(program.Instructions[i])) is { } hazard)
        {
            throw Error(index, hazard, "add a signal from the producing queue and a wait on this instruction");
        }
        var (unitStart, occupancyEnd, completion) = instruction.Opcode switch
        {
            Opcode.Load or Opcode.Store => Transfer(instruction, start),
            Opcode.Gemm => Gemm(instruction, index, queue, start, arrival),
            Opcode.Vector => Vector(instruction, index, start),
            _ => (start, start, start),
        };
        if (options.CheckHazards) hazards.Commit(queue, accesses, index);
        queueFree[queue] = occupancyEnd;
        queueStarted[queue] = true;
        for (int to = 0; to < 4; to++)
        {
            if ((instruction.SignalMask & (1 << to)) != 0) channels[queue, to].Enqueue((TokenTime(queue, to, occupancyEnd, completion), hazards.Snapshot(queue)));
        }
        report.Instructions++;
        if (options.Trace && instruction.Opcode != Opcode.Sync)
        {
            string name = instruction.Opcode == Opcode.Vector ? InstructionSet.Function((VectorFunction)instruction["function"]).Name : instruction.Format.Mnemonic;
            trace.Add(new TraceEvent((Unit)queue, index, name, unitStart, Math.Max(occupancyEnd, unitStart + 1)));
        }
        return completion;
    }

    /// <summary>A token to a queue upstream in the dataflow (load, compute, vector, store) releases the buffers
    /// this instruction read, so it leaves when the unit has read them; a token downstream announces results and
    /// leaves when they are written. Store-to-load tokens order DRAM writes before reads, so they wait for the
    /// write to land.</summary>
    private static long TokenTime(int from, int to, long occupancyEnd, long completion) =>
        to < from && !(from == (int)QueueKind.Store && to == (int)QueueKind.Load) ? occupancyEnd : completion;

    private (long, long, long) Transfer(Instruction instruction, long start)
    {
        var shape = DmaEngine.Decode(instruction);
        bool load = instruction.Opcode == Opcode.Load;
        if (load) DmaEngine.Load(state, shape);
        else DmaEngine.Save(state, shape);
        long transfer = timing.TransferCycles(shape.DramBytes);
        long channelStart = Math.Max(start, dramFree);
        dramFree = channelStart + transfer;
        report.BusyCycles[load ? (int)Unit.LoadDma : (int)Unit.StoreDma] += transfer;
        int memory = (int)shape.Memory;
        if (load)
        {
            report.DramBytesRead += shape.DramBytes;
            report.SramBytesWritten[memory] += shape.SramElements * shape.ElementSize;
        }
        else
        {
            report.DramBytesWritten += shape.DramBytes;
            report.SramBytesRead[memory] += shape.DramBytes;
        }
        return (channelStart, channelStart + transfer, channelStart + transfer + spec.DramLatencyCycles);
    }

    private void GemmAccesses(Instruction g)
    {
        var v = g.Values;
        long m0 = v[G.M0], m1 = v[G.M1], k = v[G.K], n = v[G.N];
        long input = v[G.Input], weight = v[G.Weight], output = v[G.Output];
        accesses.Add(new Access(Store.Activation, input, input + (m1 - 1) * v[G.InputStride1] + (m0 - 1) * v[G.InputStride0] + k, false));
        accesses.Add(new Access(Store.Weight, weight, weight + (k - 1) * v[G.WeightStride] + n, false));
        long outputEnd = output + (m0 * m1 - 1) * v[G.OutputStride] + n;
        if (v[G.Accumulate] != 0) accesses.Add(new Access(Store.Accumulator, output, outputEnd, false));
        accesses.Add(new Access(Store.Accumulator, output, outputEnd, true));
    }

    private (long, long, long) Gemm(Instruction g, int index, int queue, long start, long arrival)
    {
        var v = g.Values;
        int m0 = (int)v[G.M0], m1 = (int)v[G.M1], k = (int)v[G.K], n = (int)v[G.N], rows = m0 * m1;
        if (timing.CheckGemmShape(rows, k, n) is { } problem) throw Error(index, problem, "split the pass into tiles that fit the array");
        int input = (int)v[G.Input], stride0 = (int)v[G.InputStride0], stride1 = (int)v[G.InputStride1];
        options.BeforeGemm?.Invoke(g, state);
        kernel.Run(state.Activation, state.Weight, state.Accumulator, rows, m0, input, stride0, stride1, k, n,
            (int)v[G.Weight], (int)v[G.WeightStride], (int)v[G.Output], (int)v[G.OutputStride], v[G.Accumulate] != 0);
        // start = max(array free, arrival); the weight load counts from the arrival, so it may overlap the previous gemm.
        long stream = queueStarted[queue] ? timing.StreamStart(arrival, queueFree[queue]) : timing.StreamStart(start, null);
        long busy = stream - start + timing.ArrayOccupancy(rows, k);
        report.BusyCycles[(int)Unit.Array] += busy;
        report.Macs += (long)rows * k * n;
        report.SramBytesRead[(int)MemoryKind.Activation] += (long)rows * k;
        report.SramBytesRead[(int)MemoryKind.Weight] += (long)k * n;
        if (v[G.Accumulate] != 0) report.SramBytesRead[(int)MemoryKind.Accumulator] += (long)rows * n * 4;
        report.SramBytesWritten[(int)MemoryKind.Accumulator] += (long)rows * n * 4;
        return (start, start + busy, stream + timing.ArrayCompletion(rows, k, idle: false));
    }

    private (long, long, long) Vector(Instruction instruction, int index, long start)
    {
        var operation = VectorUnit.Decode(instruction);
        if (VectorUnit.CheckParameters(state, operation) is { } problem) throw Error(index, problem, "fix the parameter block at p");
        VectorUnit.Execute(state, operation);
        long busy = timing.VectorOccupancy(operation.Rows, operation.Columns);
        long elements = (long)operation.Rows * operation.Columns;
        var info = InstructionSet.Function(operation.Function);
        report.BusyCycles[(int)Unit.Vector] += busy;
        report.VectorElementOperations += elements;
        report.SramBytesRead[(int)info.A] += elements * (info.A == MemoryKind.Accumulator ? 4 : 1);
        report.SramBytesWritten[(int)info.Destination] += elements * (info.Destination == MemoryKind.Accumulator ? 4 : 1);
        return (start, start + busy, start + busy + timing.VectorLatency);
    }
}
