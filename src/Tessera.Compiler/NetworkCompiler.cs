using Tessera.Core;
using Tessera.Compiler.Layers;
using Tessera.Compiler.Lowering;
using Tessera.Hardware;

namespace Tessera.Compiler;

/// <summary>What the compiler decided for one layer, and where its instructions are.</summary>
public sealed record LayerPlan(Layer Layer, string Decision, long EstimatedCycles, int FirstInstruction, int InstructionCount);

/// <summary>A compiled network: one NPU program (inputs and outputs bound by tensor name, weights and
/// parameters in the constant section) and the per-layer plan.</summary>
public sealed record CompiledNetwork(NpuSpec Spec, Network Network, NpuProgram Program, MemoryPlan Memory, IReadOnlyList<LayerPlan> Layers);

/// <summary>Compiles a network of NPU-level layers into one program for a configuration: plans DRAM,
/// lowers each layer in order (tiling chosen by the cost model) and binds the graph's inputs and outputs.
/// Layers are separated by a token barrier, so activations go through DRAM between layers (see
/// docs/compiler.md for why on-chip fusion is not done yet).</summary>
public static class NetworkCompiler
{
    public static CompiledNetwork Compile(NpuSpec spec, Network network)
    {
        network.Validate();
        // Twice when some convolution's weights turned out to be loaded by earlier layers' prefetches: planned
        // again knowing that (its DMA time then has no weights, which can change its best band height).
        var first = Compile(spec, network, new HashSet<int>(), out var preloaded);
        return preloaded.Count == 0 ? first : Compile(spec, network, preloaded, out _);
    }

    private static CompiledNetwork Compile(NpuSpec spec, Network network, IReadOnlySet<int> weightsPreloaded, out HashSet<int> preloaded)
    {
        var placements = PlanPlacement(network);
        var epilogues = PlanElementwiseFusion(network, placements);
        // A fused elementwise layer's output is written while its convolution runs: it lives from there.
        var secondStores = PlanSecondStores(network, placements);
        var (residentIn, residentOut, limits, residentOperands, inputProducers, keptOperands, onChip) = PlanFusion(spec, network, epilogues, placements);
        // Tensors that live only in the scratchpad (kept there by their producer and never stored) get no DRAM buffer.
        var memory = MemoryPlan.Build(network, placements, epilogues.ToDictionary(p => p.Value.Output.Name, p => p.Key), secondStores.ToDictionary(p => p.Key, p => p.Value.Concat), onChip);
        // Parts whose producer did write them into their concatenation's slice (the concatenation skips them).
        var storedTwice = new HashSet<string>();
        var builder = new ProgramBuilder(spec, memory.ArenaBytes);
        var plans = new List<LayerPlan>();
        var prepared = new Dictionary<int, (ConvLayer Conv, ConvPlan Plan)?>();
        var tiled = new Dictionary<int, List<ColumnTile>>();
        (ConvLayer Conv, ConvPlan Plan)? Prepared(int index)
        {
            if (prepared.TryGetValue(index, out var known)) return known;
            (ConvLayer, ConvPlan)? result = null;
            if (network.Layers[index] is ConvLayer conv)
            {
                try
                {
                    var shaped = AsGemmColumn(conv, subsample: !residentIn.ContainsKey(index));
                    long? limit = limits.TryGetValue(index, out long l) ? l : null;
                    var plan = ConvPlanner.Plan(spec, shaped, limit, LoadsOperand(epilogues, index), weightsPreloaded.Contains(index), residentIn.ContainsKey(index));
                    if (epilogues.ContainsKey(index) && !plan.OneArrayBlock(shaped.Output.Channels))
                    {
                        // The elementwise layer cannot ride on this plan: it runs as a layer of its own.
                        if (residentOperands.ContainsKey(index) || keptOperands.ContainsKey(index)) throw new InvalidOperationException($"layer '{conv.Name}': its fused elementwise operand is kept in the scratchpad but the plan cannot fuse it");
                        epilogues.Remove(index);
                        plan = ConvPlanner.Plan(spec, shaped, limit, weightsPreloaded: weightsPreloaded.Contains(index), inputResident: residentIn.ContainsKey(index));
                    }
                    result = (shaped, plan);
                    // Stacked kernel rows (a stem with few input channels), when the cost model finds it faster.
                    if (!residentIn.ContainsKey(index) && ConvPlanner.StackRows(spec, conv) is { } stacked)
                    {
                        var stackedPlan = ConvPlanner.Plan(spec, stacked, limit, LoadsOperand(epilogues, index), weightsPreloaded.Contains(index));
                        bool keepsEpilogue = !epilogues.ContainsKey(index) || stackedPlan.OneArrayBlock(stacked.Output.Channels);
                        if (keepsEpilogue && stackedPlan.Cost.Cycles < plan.Cost.Cycles) result = (stacked, stackedPlan);
                    }
                    // A depthwise layer whose vector plan does not fit (the array then computes one channel per chunk:
                    // ppocr-cls's 200-channel layers at 2x96 on small) may be cheaper as column tiles / channel chunks on
                    // the vector unit; taken when their summed estimate is lower and nothing is fused with the layer
                    // (tiles read and write DRAM).
                    if (shaped.IsDepthwise && !plan.OnVector && !residentIn.ContainsKey(index) && !residentOut.ContainsKey(index) && !epilogues.ContainsKey(index)
                        && limit is null && ConvPlanner.PlanColumnTiles(spec, shaped) is { } tiles && tiles.Sum(t => t.Plan.Cost.Cycles) < plan.Cost.Cycles)
                    {
                        tiled[index] = tiles;
                        result = null;
                    }
                }
                catch (UnsupportedException)
                {
                }
            }
            return prepared[index] = result;
        }
        // Weight residency: each run of convolutions with only layers that leave the weight scratchpad alone between
        // them shares one placement of all its weight blocks (WeightRing).
        var rings = new Dictionary<int, WeightRing>();
        {
            var run = new List<int>();
            // Every layer from the run's first convolution on: the vector layers between its convolutions prefetch
            // later blocks too (the DMA channel is mostly free while a pool reads a kept input).
            var members = new List<int>();
            void Close()
            {
                var inRun = members;
                members = [];
                if (run.Count == 0) return;
                var blocks = run.SelectMany(k => Prepared(k)!.Value.Plan.Blocks.Select((b, bi) =>
                    new WeightBlock($"{Prepared(k)!.Value.Conv.Name} weights block {bi}", ConvLowering.Constants(Prepared(k)!.Value.Conv, b, Prepared(k)!.Value.Plan.OnVector, Prepared(k)!.Value.Plan.RowPairs, Prepared(k)!.Value.Plan.ColumnPairs, Prepared(k)!.Value.Plan.VectorPixels).Weights))).ToList();
                var ring = new WeightRing(blocks, spec.WeightScratchpadBytes);
                foreach (int k in inRun) rings[k] = ring;
                run = [];
            }
            for (int index = 0; index < network.Layers.Count; index++)
            {
                var layer = network.Layers[index];
                if (layer is ConvLayer && Prepared(index) is not null)
                {
                    run.Add(index);
                    members.Add(index);
                }
                else if (layer is not (MaxPoolLayer or AveragePoolLayer or ElementwiseLayer or LookupLayer or ConcatLayer or ReshapeLayer)) Close();
                else if (run.Count > 0) members.Add(index);
            }
            Close();
        }
        // A convolution reading its input from the scratchpad on the array starts on its producer's last vector
        // instruction (which wrote that input) instead of the barrier: producer index -> consumer index.
        var startsConsumer = new Dictionary<int, int>();
        foreach (var j in residentIn.Keys)
        {
            if (Prepared(j) is not { Plan.OnVector: false }) continue;
            int producer = inputProducers[j];
            if (Prepared(producer) is not null) startsConsumer[producer] = j;
        }
        var fusedInto = new Dictionary<int, string>();
        for (int index = 0; index < network.Layers.Count; index++)
        {
            var layer = network.Layers[index];
            int first = builder.Code.Count;
            builder.Ring = rings.GetValueOrDefault(index);
            // The next weight block in program order, when only layers that leave the weight scratchpad alone
            // come before it: a convolution's last block prefetches it.
            int at = index;
            builder.NextLayerWeights = layer is ConvLayer && builder.Ring is null ? () =>
            {
                for (int k = at + 1; k < network.Layers.Count; k++)
                {
                    var following = network.Layers[k];
                    if (following is ConvLayer)
                    {
                        if (Prepared(k) is not { } p) return null;
                        return new WeightBlock($"{p.Conv.Name} weights block 0", ConvLowering.Constants(p.Conv, p.Plan.Blocks[0], p.Plan.OnVector, p.Plan.RowPairs, p.Plan.ColumnPairs, p.Plan.VectorPixels).Weights);
                    }
                    if (following is not (MaxPoolLayer or AveragePoolLayer or ElementwiseLayer or LookupLayer or ConcatLayer or ReshapeLayer)) return null;
                }
                return null;
            } : null;
            var inputs = layer.Inputs.Select(t => memory[t.Name]).ToList();
            long output = memory[layer.Output.Name];
            var convPlan = layer is ConvLayer ? Prepared(index) : null;
            FusedElementwise? epilogue = null;
            if (layer is ConvLayer && convPlan is not null && epilogues.TryGetValue(index, out var fusedLayer))
            {
                bool convIsLeft = Reaches(layer.Output.Name, fusedLayer.Left.Name);
                epilogue = new FusedElementwise(fusedLayer, memory[(convIsLeft ? fusedLayer.Right : fusedLayer.Left).Name], convIsLeft,
                    residentOperands.TryGetValue(index, out long operandAt) ? operandAt : null, Self: IsSelf(fusedLayer), OtherKept: keptOperands.GetValueOrDefault(index));
                output = memory[fusedLayer.Output.Name];
                fusedInto[network.Layers.IndexOf(fusedLayer)] = layer.Name;
            }
            // A stored tensor the concatenation would copy: its producer's stores write it there too.
            string stored = epilogue?.Layer.Output.Name ?? layer.Output.Name;
            (long, int)? storeAlso = null;
            if (layer is ConvLayer && convPlan is not null && !residentOut.ContainsKey(index) && !placements.ContainsKey(stored) && secondStores.TryGetValue(stored, out var second)
                && (epilogue is not null || !epilogues.ContainsKey(index)))
            {
                storeAlso = (memory[second.Concat] + second.Offset, Pitch(second.Concat));
                storedTwice.Add(stored);
            }
            else if (layer is ConvLayer && convPlan is not null && residentOut.TryGetValue(index, out var keptOut) && keptOut.AlsoStore && secondStores.TryGetValue(stored, out var secondKept))
            {
                storeAlso = (memory[secondKept.Concat] + secondKept.Offset, Pitch(secondKept.Concat));
                storedTwice.Add(stored);
            }
            (string decision, long estimate) = layer switch
            {
                ElementwiseLayer when fusedInto.TryGetValue(index, out var producer) => ($"fused into the epilogue of '{producer}' (no instructions of its own)", 0L),
                ConvLayer conv => Conv(builder, convPlan, conv, inputs[0], output,
                    residentIn.TryGetValue(index, out long fromScratchpad) ? fromScratchpad : null, residentOut.GetValueOrDefault(index),
                    placements.TryGetValue(stored, out var slice) && residentOut.GetValueOrDefault(index) is null or { AlsoStore: true } ? Pitch(slice.Concat) : null, epilogue,
                    startsConsumer.ContainsKey(index), startsConsumer.ContainsValue(index), storeAlso, tiled.GetValueOrDefault(index)),
                MaxPoolLayer pool => (VectorLowering.Pool(builder, pool, pool.Input, pool.Output, pool.Window, inputs[0], output, PoolStoreAlso(pool), PoolInput(index), PoolLimit(index), PoolKept(index)), 0L),
                AveragePoolLayer pool => (VectorLowering.Pool(builder, pool, pool.Input, pool.Output, pool.Window, inputs[0], output, PoolStoreAlso(pool), PoolInput(index), PoolLimit(index), PoolKept(index)), 0L),
                ElementwiseLayer or LookupLayer => (VectorLowering.Elementwise(builder, layer, inputs, output,
                    placements.TryGetValue(layer.Output.Name, out var part) ? Pitch(part.Concat) : null), 0L),
                ConcatLayer concat => (VectorLowering.Concat(builder, concat, inputs, output,
                    Enumerable.Range(0, concat.Parts.Count).Where(p => placements.ContainsKey(concat.Parts[p].Name) || (storedTwice.Contains(concat.Parts[p].Name) && secondStores[concat.Parts[p].Name].Concat == concat.Output.Name)).ToHashSet()), 0L),
                ReshapeLayer => ("alias of the input buffer, no instructions", 0L),
                _ => ModelLayerLowering.Emit(builder, layer, inputs, output),
            };
            // Only a convolution tells the next one which accumulator words it used.
            if (layer is not (ConvLayer or ReshapeLayer) && !fusedInto.ContainsKey(index)) builder.AccumulatorInUse = null;
            plans.Add(new LayerPlan(layer, decision, estimate, first, builder.Code.Count - first));
        }
        builder.Finish();
        preloaded = rings.Where(p => Prepared(p.Key) is { } c && Enumerable.Range(0, c.Plan.Blocks.Count).All(b => p.Value.Preloaded.Contains($"{c.Conv.Name} weights block {b}")))
            .Select(p => p.Key).ToHashSet();
        var program = new NpuProgram { SpecHash = spec.Hash };
        // Whether tensor 'to' is 'from' or a reshape (alias) of it.
        bool Reaches(string from, string to)
        {
            for (string name = from; ;)
            {
                if (name == to) return true;
                if (network.Layers.FirstOrDefault(l => l is ReshapeLayer r && r.Input.Name == name) is not { } next) return false;
                name = next.Output.Name;
            }
        }
        // A pool fused after its convolution: where that convolution kept its output, and the pool's slot limit.
        long? PoolInput(int k) => residentIn.TryGetValue(k, out long at) ? at : null;
        long? PoolLimit(int k) => (residentIn.ContainsKey(k) || residentOut.ContainsKey(k)) && limits.TryGetValue(k, out long l) ? l : null;
        // A pool whose output stays in the scratchpad for the next convolution: where.
        long? PoolKept(int k) => residentOut.TryGetValue(k, out var kept) ? kept.Base : null;
        int Pitch(string concat) => network.Layers.First(l => l.Output.Name == concat).Output.Channels;
        // A pool's output the concatenation would copy: its band stores write it into the slice too.
        (long, int)? PoolStoreAlso(Layer pool)
        {
            if (!secondStores.TryGetValue(pool.Output.Name, out var second)) return null;
            storedTwice.Add(pool.Output.Name);
            return (memory[second.Concat] + second.Offset, Pitch(second.Concat));
        }
        program.Instructions.AddRange(builder.Code);
        program.Constants.AddRange(builder.Constants);
        foreach (var input in network.Inputs) program.Tensors.Add(new TensorBinding(input.Name, TensorRole.Input, NpuDataType.Int8, memory[input.Name], [input.Height, input.Width, input.Channels]));
        var produced = network.Layers.ToDictionary(l => l.Output.Name, l => l.Output);
        foreach (var name in network.Outputs)
        {
            var tensor = produced.TryGetValue(name, out var t) ? t : network.Inputs.First(i => i.Name == name);
            program.Tensors.Add(new TensorBinding(name, TensorRole.Output, NpuDataType.Int8, memory[name], [tensor.Height, tensor.Width, tensor.Channels]));
        }
        program.DramBytes = program.Footprint;
        return new CompiledNetwork(spec, network, program, memory, plans);
    }

    /// <summary>An elementwise layer whose two operands are the same tensor (a concatenation part's rescale).</summary>
    private static bool IsSelf(ElementwiseLayer layer) => layer.Left.Name == layer.Right.Name;

    /// <summary>Whether the convolution's fused elementwise layer (if any) loads another operand per band (two more
    /// output-sized slots in its plan).</summary>
    private static bool LoadsOperand(IReadOnlyDictionary<int, ElementwiseLayer> epilogues, int index) => epilogues.TryGetValue(index, out var e) && !IsSelf(e);

    /// <summary>Compiles one layer as a network of its own (inputs are the layer's inputs).</summary>
    public static CompiledNetwork Compile(NpuSpec spec, Layer layer)
    {
        var network = new Network();
        network.Inputs.AddRange(layer.Inputs.DistinctBy(t => t.Name));
        network.Layers.Add(layer);
        network.Outputs.Add(layer.Output.Name);
        return Compile(spec, network);
    }

    private static (string, long) Conv(ProgramBuilder builder, (ConvLayer Conv, ConvPlan Plan)? prepared, ConvLayer conv, long input, long output, long? residentInput, ResidentOutput? residentOutput,
        int? outputPitch, FusedElementwise? epilogue, bool signalConsumer, bool goFromProducer, (long Dram, int Pitch)? storeAlso, List<ColumnTile>? chosenTiles)
    {
        if (prepared is null && residentInput is null && residentOutput is null && epilogue is null && storeAlso is null
            && (chosenTiles ?? ConvPlanner.PlanColumnTiles(builder.Spec, AsGemmColumn(conv))) is { } tiles)
        {
            return ColumnTiles(builder, conv, tiles, input, output, outputPitch,
                chosenTiles is null ? "one output row does not fit the activation scratchpad" : "estimated cheaper than the array plan with one channel per chunk, the vector plan not fitting");
        }
        // Planning failed in the prepass: plan again so the planner's message reaches the caller.
        var (shaped, plan) = prepared ?? (AsGemmColumn(conv), ConvPlanner.Plan(builder.Spec, AsGemmColumn(conv)));
        ConvLowering.BandStore? store = null;
        if (outputPitch is int pitch)
        {
            // Concat by placement: each band's tile goes straight into the concatenation's channel slice.
            int width = shaped.Output.Width;
            store = (sram, firstRow, rows, blockStart, blockChannels, signal) =>
                builder.Store(MemoryKind.Activation, sram, output + (long)firstRow * width * pitch + blockStart, blockChannels, width, rows, pitch, (long)width * pitch,
                    blockChannels, (long)width * blockChannels, Lowering.Q.Vector, signal);
        }
        // A strided 1x1 convolution planned as a stride-1 one over the pixels it reads loads only those.
        // Stacked kernel rows: the loader builds the stacked rows from the original input.
        StackedRows? stackedRows = shaped.Window.KernelHeight != conv.Window.KernelHeight ? new StackedRows(conv.Input, conv.Window) : null;
        Subsample? subsample = stackedRows is null && (shaped.Window.StrideX != conv.Window.StrideX || shaped.Window.StrideY != conv.Window.StrideY)
            ? new Subsample(conv.Output.Width, (long)conv.Window.StrideX * conv.Input.Channels, (long)conv.Window.StrideY * conv.Input.Width * conv.Input.Channels) : null;
        ConvLowering.Emit(builder, shaped, plan, input, output, store, residentInput: residentInput, residentOutput: residentOutput, elementwise: epilogue, subsample: subsample,
            signalConsumer: signalConsumer, goFromProducer: goFromProducer, storeAlso: storeAlso, stacked: stackedRows);
        string fused = (residentInput is null ? "" : "; input read from the scratchpad") + (residentOutput is null ? "" : $"; output {(residentOutput.AlsoStore ? "stored and a copy " : "")}kept in the scratchpad at {residentOutput.Base} for the next layer")
            + (outputPitch is { } p ? $"; written in place into a {p}-channel concatenation" : "")
            + (storeAlso is { } also ? $"; also stored into a {also.Pitch}-channel concatenation" : "")
            + (stackedRows is null ? "" : $"; kernel rows stacked ({conv.Window.KernelHeight} x {conv.Input.Channels} channels per pixel, k = {conv.Window.Taps * conv.Input.Channels})")
            + (epilogue is null ? "" : $"; {epilogue.Layer.Kind} '{epilogue.Layer.Name}' fused into the epilogue (the other operand {(epilogue.OtherResident is null && epilogue.OtherKept is null ? "loaded per band" : "read from the scratchpad")}, its output {(residentOutput is { AlsoStore: false } ? "kept" : "stored")})");
        return (plan.Describe(shaped) + fused, plan.Cost.Cycles);
    }

    /// <summary>A convolution whose output rows do not fit the scratchpad whole, as column tiles
    /// (<see cref="ConvPlanner.PlanColumnTiles"/>): each tile reads its input columns (with the halo) from the full
    /// rows in DRAM and stores its output columns into the full rows (or the concatenation's channel slice); the last
    /// block of a tile prefetches the next tile's first weight block, the last tile the next layer's.</summary>
    private static (string, long) ColumnTiles(ProgramBuilder builder, ConvLayer conv, IReadOnlyList<ColumnTile> tiles, long input, long output, int? outputPitch, string why)
    {
        int c = conv.Input.Channels, pitch = outputPitch ?? conv.Output.Channels;
        long outputRow = (long)conv.Output.Width * pitch;
        var nextLayer = builder.NextLayerWeights;
        for (int t = 0; t < tiles.Count; t++)
        {
            var tile = tiles[t];
            if (t + 1 < tiles.Count)
            {
                var next = tiles[t + 1];
                builder.NextLayerWeights = () => new WeightBlock($"{next.Conv.Name} weights block 0",
                    ConvLowering.Constants(next.Conv, next.Plan.Blocks[0], next.Plan.OnVector, next.Plan.RowPairs, next.Plan.ColumnPairs, next.Plan.VectorPixels).Weights);
            }
            else
            {
                builder.NextLayerWeights = nextLayer;
            }
            int x0 = tile.OutputStart, columns = tile.Conv.Output.Width;
            int c0 = tile.ChannelStart;
            ConvLowering.BandStore store = (sram, firstRow, rows, blockStart, blockChannels, signal) =>
                builder.Store(MemoryKind.Activation, sram, output + firstRow * outputRow + (long)x0 * pitch + c0 + blockStart, blockChannels, columns, rows, pitch, outputRow,
                    blockChannels, (long)columns * blockChannels, Lowering.Q.Vector, signal);
            ConvLowering.Emit(builder, tile.Conv, tile.Plan, input + (long)tile.InputStart * c + c0, output, store, inputView: (c, (long)conv.Input.Width * c));
        }
        int widest = tiles.Max(t => t.Conv.Output.Width), channelChunks = tiles.Select(t => t.ChannelStart).Distinct().Count();
        long cycles = tiles.Sum(t => t.Plan.Cost.Cycles);
        string placed = outputPitch is { } p ? $"; written in place into a {p}-channel concatenation" : "";
        string split = channelChunks > 1 ? $" x {channelChunks} channel chunks of <= {tiles.Max(t => t.Conv.Output.Channels)}" : "";
        return ($"{tiles.Count / channelChunks} column tile(s) of <= {widest} output columns{split} ({why}; input columns with the kernel's halo, " +
            $"weights loaded per tile), estimate {cycles} cycles in all; first tile: {tiles[0].Plan.Describe(tiles[0].Conv)}{placed}", cycles);
    }

    /// <summary>Layer fusion: a convolution whose output only the next layer reads (after reshapes, which are
    /// aliases), itself a convolution, and
    /// that is not a network output, writes that output straight into the activation scratchpad in the next
    /// layer's padded input layout (no store, no load, no DRAM round trip). Kept tensors live at the top of the
    /// scratchpad (a producer's input and output never overlap); each layer's band slots are planned below them.
    /// A pair is fused only when both layers still plan with the space left.</summary>
    /// <remarks>Also the other operand of an elementwise layer fused into the next convolution's epilogue: a
    /// convolution whose output only that elementwise layer reads keeps it in the scratchpad (unpadded) and the
    /// consumer's epilogue reads each band's tile there instead of loading it (no store, no load). Consumer index ->
    /// the operand's scratchpad address. <c>InputProducers</c>: consumer index -> the producer of its kept input.
    /// <para>A concatenation kept for the next convolution (SqueezeNet's fire modules): when every part of a
    /// concatenation is written in place by a convolution (directly or through its fused elementwise epilogue) and the
    /// only reader of the concatenation is the 1x1-like unpadded convolution right after it, each producer writes its part
    /// into its channel slice of one region of the scratchpad (pixel pitch = the concatenation's channels) instead of
    /// storing it, and that convolution reads its input there: the concatenation never goes to DRAM.</para>
    /// <c>OnChip</c>: tensors written only into the scratchpad (no DRAM buffer needed).</remarks>
    private static (Dictionary<int, long> ResidentIn, Dictionary<int, ResidentOutput> ResidentOut, Dictionary<int, long> Limits, Dictionary<int, long> ResidentOperands, Dictionary<int, int> InputProducers, Dictionary<int, ResidentOutput> KeptOperands, HashSet<string> OnChip) PlanFusion(NpuSpec spec, Network network,
        IReadOnlyDictionary<int, ElementwiseLayer> epilogues, IReadOnlyDictionary<string, (string Concat, int Offset)> placements)
    {
        var residentIn = new Dictionary<int, long>();
        var regions = new Dictionary<int, (long Start, long End)>();
        var residentOut = new Dictionary<int, ResidentOutput>();
        var limits = new Dictionary<int, long>();
        var residentOperands = new Dictionary<int, long>();
        var inputProducers = new Dictionary<int, int>();
        // Consumer index -> a kept tensor its fused elementwise layer reads (in another layer's padded layout), and the
        // region it occupies until then (the consumer's own kept output must not overlap it).
        var keptOperands = new Dictionary<int, ResidentOutput>();
        var operandRegions = new Dictionary<int, (long Start, long End)>();
        var readers = new Dictionary<string, int>();
        foreach (var layer in network.Layers)
        {
            foreach (var name in layer.Inputs.Select(t => t.Name)) readers[name] = readers.GetValueOrDefault(name) + 1;
        }
        var outputs = network.Outputs.ToHashSet();
        var onChip = new HashSet<string>();
        long capacity = spec.ActivationScratchpadBytes;
        ConvPlan? Planned(ConvLayer conv, long limit, int index)
        {
            try
            {
                return ConvPlanner.Plan(spec, AsGemmColumn(conv), limit, LoadsOperand(epilogues, index));
            }
            catch (UnsupportedException)
            {
                return null;
            }
        }
        bool Plans(ConvLayer conv, long limit, int index) => Planned(conv, limit, index) is not null;
        var concatsTried = new HashSet<string>();
        // A concatenation kept for the convolution after it: its parts' producers -> (index, channel offset).
        bool KeepConcat(int i)
        {
            var a = (ConvLayer)network.Layers[i];
            string written = epilogues.TryGetValue(i, out var own) ? own.Output.Name : a.Output.Name;
            if (!placements.TryGetValue(written, out var slot) || !concatsTried.Add(slot.Concat)) return false;
            int c = network.Layers.FindIndex(l => l.Output.Name == slot.Concat), n = c + 1;
            var concat = (ConcatLayer)network.Layers[c];
            if (n >= network.Layers.Count || network.Layers[n] is not ConvLayer consumer || consumer.Inputs.Count != 1 || consumer.Input.Name != concat.Output.Name
                || readers.GetValueOrDefault(concat.Output.Name) != 1 || outputs.Contains(concat.Output.Name) || consumer.Window.Padding != Padding.None
                || consumer.Input.Pixels != concat.Output.Pixels || consumer.Input.Channels != concat.Output.Channels) return false;
            // Every part written in place by a convolution between i and the concatenation (its output, or its fused
            // elementwise layer's), and nothing else between them.
            var producers = new List<(int Index, int Offset)>();
            foreach (var part in concat.Parts)
            {
                if (!placements.TryGetValue(part.Name, out var placed) || placed.Concat != concat.Output.Name) return false;
                int p = Enumerable.Range(i, c - i).Where(k => network.Layers[k] is ConvLayer
                    && (epilogues.TryGetValue(k, out var e) ? e.Output.Name == part.Name : network.Layers[k].Output.Name == part.Name)).DefaultIfEmpty(-1).First();
                if (p < 0 || residentOut.ContainsKey(p)) return false;
                producers.Add((p, placed.Offset));
            }
            var fusedLayers = producers.Where(p => epilogues.ContainsKey(p.Index)).Select(p => epilogues[p.Index]).ToHashSet();
            for (int k = i; k < c; k++)
            {
                if (!producers.Any(p => p.Index == k) && !(network.Layers[k] is ElementwiseLayer el && fusedLayers.Contains(el))) return false;
            }
            // Above (or below) the producers' kept inputs and operands: they read those while writing their slices.
            long bytes = ProgramBuilder.Align((long)concat.Output.Pixels * concat.Output.Channels);
            var busy = producers.SelectMany(p => new[] { regions.TryGetValue(p.Index, out var r) ? r : ((long, long)?)null, operandRegions.TryGetValue(p.Index, out var o) ? o : null })
                .OfType<(long Start, long End)>().ToList();
            (long Start, long End) place = (capacity - bytes, capacity);
            for (bool moved = true; moved;)
            {
                moved = false;
                foreach (var x in busy)
                {
                    if (place.Start < x.End && x.Start < place.End)
                    {
                        place = (x.Start - bytes, x.Start);
                        moved = true;
                    }
                }
            }
            if (place.Start < 0) return false;
            var producerLimits = new Dictionary<int, long>();
            foreach (var (p, _) in producers)
            {
                long limit = Math.Min(Math.Min(limits.GetValueOrDefault(p, capacity), place.Start), busy.Select(x => x.Start).DefaultIfEmpty(capacity).Min());
                var conv = (ConvLayer)network.Layers[p];
                // A fused elementwise layer writes the slice directly (one array block, no pairs); a plain requantize
                // writes it from the array's accumulators.
                if (Planned(conv, limit, p) is not { OnVector: false } plan
                    || (epilogues.ContainsKey(p) && (!plan.OneArrayBlock(conv.Output.Channels) || plan.RowPairs || plan.ColumnPairs))) return false;
                producerLimits[p] = limit;
            }
            long limitConsumer = Math.Min(limits.GetValueOrDefault(n, capacity), place.Start);
            if (!Plans(consumer, limitConsumer, n)) return false;
            foreach (var (p, offset) in producers)
            {
                residentOut[p] = new ResidentOutput(place.Start + offset, concat.Output.Height, concat.Output.Width, concat.Output.Channels, Padding.None, 0);
                limits[p] = producerLimits[p];
            }
            onChip.Add(concat.Output.Name);
            residentIn[n] = place.Start;
            inputProducers[n] = producers.Max(p => p.Index);
            regions[n] = place;
            limits[n] = limitConsumer;
            return true;
        }
        // A pool's output kept for the unpadded convolution right after it, its only reader (SqueezeNet: max pool ->
        // squeeze 1x1): the pool writes its bands there (no store), the convolution reads its input there.
        bool KeepPoolOutput(int i)
        {
            var pool = network.Layers[i];
            var window = pool is MaxPoolLayer mp ? mp.Window : ((AveragePoolLayer)pool).Window;
            int n = i + 1;
            if (pool.Inputs.Count != 1 || n >= network.Layers.Count || network.Layers[n] is not ConvLayer consumer || consumer.Inputs.Count != 1 || consumer.Input.Name != pool.Output.Name
                || readers.GetValueOrDefault(pool.Output.Name) != 1 || outputs.Contains(pool.Output.Name) || placements.ContainsKey(pool.Output.Name) || consumer.Window.Padding != Padding.None
                || consumer.Input.Pixels != pool.Output.Pixels || consumer.Input.Channels != pool.Output.Channels || pool.Output.Channels > 4095) return false;
            long bytes = ProgramBuilder.Align(pool.Output.Length);
            // At most a quarter of the scratchpad: the plan is greedy, and a larger kept output crowds out what the
            // following layers would keep (SqueezeNet 224 on small: keeping pool3's 93 KB output made fire4's 187 KB
            // concatenation go through DRAM, fire5's squeeze 6,183 -> 13,678 cycles for 4,331 saved in fire4's; pool1's
            // 193 KB left it 1-row bands, 69,041 -> 74,451 cycles).
            if (4 * bytes > capacity) return false;
            (long Start, long End)? input = regions.TryGetValue(i, out var r) ? r : null;
            (long Start, long End) place = (capacity - bytes, capacity);
            if (input is { } x && place.Start < x.End && x.Start < place.End) place = (x.Start - bytes, x.Start);
            if (place.Start < 0) return false;
            long limitPool = Math.Min(Math.Min(limits.GetValueOrDefault(i, capacity), place.Start), input?.Start ?? capacity);
            if (VectorLowering.PoolBand(spec, pool is MaxPoolLayer, pool.Inputs[0], pool.Output, window, input is not null, limitPool) == 0) return false;
            long limitConsumer = Math.Min(limits.GetValueOrDefault(n, capacity), place.Start);
            if (!Plans(consumer, limitConsumer, n)) return false;
            residentOut[i] = new ResidentOutput(place.Start, pool.Output.Height, pool.Output.Width, pool.Output.Channels, Padding.None, 0);
            residentIn[n] = place.Start;
            inputProducers[n] = i;
            regions[n] = place;
            limits[i] = limitPool;
            limits[n] = limitConsumer;
            return true;
        }
        for (int i = 0; i + 1 < network.Layers.Count; i++)
        {
            if (network.Layers[i] is MaxPoolLayer or AveragePoolLayer && KeepPoolOutput(i)) continue;
            if (network.Layers[i] is not ConvLayer a || residentOut.ContainsKey(i)) continue;
            if (KeepConcat(i)) continue;
            // The next layer after reshapes (aliases of the same bytes) that only pass the tensor on.
            // With an elementwise layer fused into its epilogue the producer's finished tile is that layer's output.
            var tensor = epilogues.TryGetValue(i, out var fusedLayer) ? fusedLayer.Output : a.Output;
            int j = fusedLayer is null ? i + 1 : network.Layers.IndexOf(fusedLayer) + 1;
            // A rescale fused from further on (other layers between): those layers' slots are not planned around a
            // kept tensor, so nothing is kept for the layer after it.
            if (fusedLayer is not null && network.Layers.Skip(i + 1).Take(j - 1 - (i + 1)).Any(l => l is not ReshapeLayer)) continue;
            var aliases = new HashSet<string> { tensor.Name };
            bool chain = true;
            while (j < network.Layers.Count && network.Layers[j] is ReshapeLayer reshape)
            {
                if (!aliases.Contains(reshape.Input.Name))
                {
                    chain = false;
                    break;
                }
                aliases.Add(reshape.Output.Name);
                j++;
            }
            if (chain && j == i + 1 && fusedLayer is null && network.Layers[j] is MaxPoolLayer or AveragePoolLayer && network.Layers[j].Inputs.Count == 1
                && network.Layers[j].Inputs[0].Name == a.Output.Name && readers.GetValueOrDefault(a.Output.Name) == 1 && !outputs.Contains(a.Output.Name)
                && !placements.ContainsKey(a.Output.Name) && a.Output.Channels <= 4095)
            {
                // Pool fusion: the pool right after this convolution reads the convolution's requantized output
                // where the convolution left it, in the pool's padded layout (max pools pad with -128, average pools
                // with the zero point, as the band loads would); the unpooled tensor is never stored or loaded.
                var pool = network.Layers[j];
                var poolWindow = pool is MaxPoolLayer mp ? mp.Window : ((AveragePoolLayer)pool).Window;
                if (BandLoader.Check(a.Output, poolWindow.Padding) is not null) continue;
                // Only a pool that also compiles from DRAM (one output row, double-buffered): fusion must not make a
                // layer supported that the per-layer reports and the partitioner would compile alone.
                long poolRow = (long)pool.Output.Width * pool.Output.Channels;
                if (2L * poolWindow.InputRows(1) * (a.Output.Width + poolWindow.Padding.Left + poolWindow.Padding.Right) * a.Output.Channels + 2 * poolRow > capacity
                    || (pool is AveragePoolLayer && 2 * poolRow + a.Output.Channels + 5 > spec.AccumulatorEntries)) continue;
                var keptForPool = new ResidentOutput(0, a.Output.Height, a.Output.Width, a.Output.Channels, poolWindow.Padding, pool is MaxPoolLayer ? -128 : a.Output.ZeroPoint);
                long poolBytes = ProgramBuilder.Align(keptForPool.Bytes);
                (long Start, long End)? producerRegion = regions.TryGetValue(i, out var pin) ? pin : null;
                (long Start, long End) poolPlace = (capacity - poolBytes, capacity);
                if (producerRegion is { } q && poolPlace.Start < q.End) poolPlace = (q.Start - poolBytes, q.Start);
                // At least one output row of the pool, double-buffered, below the kept tensor.
                if (poolPlace.Start < 2L * pool.Output.Width * pool.Output.Channels) continue;
                long limitProducer = Math.Min(producerRegion?.Start ?? capacity, poolPlace.Start);
                if (Planned(a, limitProducer, i) is null) continue;
                residentOut[i] = keptForPool with { Base = poolPlace.Start };
                residentIn[j] = poolPlace.Start;
                inputProducers[j] = i;
                regions[j] = poolPlace;
                limits[i] = limitProducer;
                limits[j] = poolPlace.Start;
                continue;
            }
            if (!chain || j >= network.Layers.Count || network.Layers[j] is not ConvLayer b) continue;
            if (b.Inputs.Count == 1 && !aliases.Contains(b.Input.Name) && fusedLayer is null && epilogues.TryGetValue(j, out var consumer) && !regions.ContainsKey(j)
                && (aliases.Contains(consumer.Left.Name) != aliases.Contains(consumer.Right.Name)) && !aliases.Contains(b.Output.Name)
                && aliases.All(n => readers.GetValueOrDefault(n) == 1 && !outputs.Contains(n)) && !a.IsDepthwise && !placements.ContainsKey(a.Output.Name)
                && consumer.Output.Pixels == tensor.Pixels && consumer.Output.Channels == tensor.Channels)
            {
                // The other operand of the next convolution's fused elementwise layer stays in the scratchpad.
                var operand = new ResidentOutput(0, tensor.Height, tensor.Width, tensor.Channels, Padding.None, 0);
                long bytes = ProgramBuilder.Align(operand.Bytes);
                (long Start, long End)? producerInput = regions.TryGetValue(i, out var pr) ? pr : null;
                (long Start, long End) region = (capacity - bytes, capacity);
                if (producerInput is { } px && region.Start < px.End) region = (px.Start - bytes, px.Start);
                if (region.Start < 0) continue;
                long limitProducer = Math.Min(producerInput?.Start ?? capacity, region.Start), limitConsumer = Math.Min(limits.GetValueOrDefault(j, capacity), region.Start);
                if (Planned(a, limitProducer, i) is not { } producerPlan || producerPlan.OnVector) continue;
                // The elementwise layer must stay fused (a single-block array plan), or it would read the operand from DRAM.
                if (Planned(b, limitConsumer, j) is not { } consumerPlan || !consumerPlan.OneArrayBlock(b.Output.Channels)) continue;
                residentOut[i] = operand with { Base = region.Start };
                residentOperands[j] = region.Start;
                regions[j] = region;
                limits[i] = limitProducer;
                limits[j] = limitConsumer;
                continue;
            }
            if (b.Inputs.Count != 1 || !aliases.Contains(b.Input.Name)) continue;
            if (b.Input.Pixels != tensor.Pixels || b.Input.Channels != tensor.Channels) continue;
            // Only this consumer reads the tensor: it never leaves the scratchpad. Otherwise (other readers, a graph
            // output, or an elementwise epilogue, which stores) the producer stores it and keeps a copy for the
            // consumer, when it is a single-block array convolution storing its own tile.
            bool copy = fusedLayer is not null || aliases.Any(n => readers.GetValueOrDefault(n) != 1 || outputs.Contains(n));
            // A block's input kept for both its readers (BlazeFace: x -> depthwise -> 1x1 whose fused Add reads x): the
            // producer's fused elementwise output is read only by the next layer (b) and by the elementwise layer fused
            // into the convolution right after b, which reads b's output: kept in b's padded layout, nothing stored,
            // and that epilogue reads x there (runs contiguous in the layout) instead of loading it.
            int k = j + 1;
            bool residual = fusedLayer is not null && aliases.Count == 1 && readers.GetValueOrDefault(tensor.Name) == 2 && !outputs.Contains(tensor.Name)
                && !placements.ContainsKey(tensor.Name)
                && k < network.Layers.Count && network.Layers[k] is ConvLayer next && next.Inputs.Count == 1 && next.Input.Name == b.Output.Name
                && readers.GetValueOrDefault(b.Output.Name) == 1 && !outputs.Contains(b.Output.Name)
                && epilogues.TryGetValue(k, out var second) && !IsSelf(second) && (second.Left.Name == tensor.Name) != (second.Right.Name == tensor.Name)
                && network.Layers.IndexOf(second) == k + 1 && second.Output.Pixels == tensor.Pixels && second.Output.Channels == tensor.Channels;
            if (residual)
            {
                residual = Planned(a, capacity, i) is { } alone && alone.OneArrayBlock(a.Output.Channels) && !alone.RowPairs && !alone.ColumnPairs && !alone.OnVector;
            }
            if (residual) copy = false;
            if (copy && (a.IsDepthwise || placements.ContainsKey(a.Output.Name) || placements.ContainsKey(tensor.Name))) continue;
            // In the consumer's geometry: the producer writes its pixels in the same row-major order.
            var kept = new ResidentOutput(0, b.Input.Height, b.Input.Width, b.Input.Channels, b.Window.Padding, b.Input.ZeroPoint, copy);
            long size = ProgramBuilder.Align(kept.Bytes);
            (long Start, long End)? input = regions.TryGetValue(i, out var r) ? r : null;
            (long Start, long End)? operandRegion = operandRegions.TryGetValue(i, out var orr) ? orr : null;
            (long Start, long End) place = (capacity - size, capacity);
            foreach (var busy in new[] { input, operandRegion, input })
            {
                if (busy is { } x && place.Start < x.End && x.Start < place.End) place = (x.Start - size, x.Start);
            }
            if (place.Start < 0) continue;
            long limitA = Math.Min(Math.Min(input?.Start ?? capacity, place.Start), operandRegion?.Start ?? capacity), limitB = place.Start;
            var planA = Planned(a, limitA, i);
            if (planA is null || !Plans(b, limitB, j)) continue;
            if (copy && !planA.OneArrayBlock(a.Output.Channels)) continue;
            if (residual)
            {
                // The producer writes directly (one block, no pairs); the convolution after b keeps its Add fused (one
                // array block) with its bands below the kept tensor. Otherwise nothing is kept for b.
                var nextConv = (ConvLayer)network.Layers[k];
                long limitNext = Math.Min(limits.GetValueOrDefault(k, capacity), place.Start);
                if (!planA.OneArrayBlock(a.Output.Channels) || planA.RowPairs || planA.ColumnPairs || planA.OnVector
                    || Planned(nextConv, limitNext, k) is not { } nextPlan || !nextPlan.OneArrayBlock(nextConv.Output.Channels)) continue;
                keptOperands[k] = kept with { Base = place.Start };
                operandRegions[k] = place;
                limits[k] = limitNext;
            }
            residentOut[i] = kept with { Base = place.Start };
            residentIn[j] = place.Start;
            inputProducers[j] = i;
            regions[j] = place;
            limits[i] = limitA;
            limits[j] = limitB;
        }
        // Kept tensors without a store: the producer's output, or its fused elementwise layer's.
        foreach (var (i, kept) in residentOut.Where(p => !p.Value.AlsoStore))
        {
            string name = epilogues.TryGetValue(i, out var e) ? e.Output.Name : network.Layers[i].Output.Name;
            if (!placements.ContainsKey(name)) onChip.Add(name);
        }
        return (residentIn, residentOut, limits, residentOperands, inputProducers, keptOperands, onChip);
    }

    /// <summary>Elementwise fusion: an Add/Mul right after a (non-depthwise) convolution whose output only it reads
    /// and that is not a network output runs in the convolution's epilogue (<see cref="FusedElementwise"/>): the
    /// convolution's output never goes to DRAM. Convolution index -> the elementwise layer (dropped later if the
    /// convolution's plan has several weight blocks).</summary>
    private static Dictionary<int, ElementwiseLayer> PlanElementwiseFusion(Network network, IReadOnlyDictionary<string, (string Concat, int Offset)> placements)
    {
        var fused = new Dictionary<int, ElementwiseLayer>();
        var readers = new Dictionary<string, int>();
        foreach (var layer in network.Layers)
        {
            foreach (var name in layer.Inputs.Select(t => t.Name)) readers[name] = readers.GetValueOrDefault(name) + 1;
        }
        var outputs = network.Outputs.ToHashSet();
        for (int i = 0; i + 1 < network.Layers.Count; i++)
        {
            if (network.Layers[i] is not ConvLayer conv || conv.IsDepthwise) continue;
            // Through reshapes (aliases of the same bytes) that only pass the tensor on.
            string name = conv.Output.Name;
            int j = i + 1;
            while (j < network.Layers.Count && network.Layers[j] is ReshapeLayer reshape && reshape.Input.Name == name && readers.GetValueOrDefault(name) == 1 && !outputs.Contains(name))
            {
                name = reshape.Output.Name;
                j++;
            }
            if (j < network.Layers.Count && network.Layers[j] is ElementwiseLayer e && (e.Left.Name == name) != (e.Right.Name == name) && readers.GetValueOrDefault(name) == 1
                && !outputs.Contains(name) && !placements.ContainsKey(e.Output.Name) && !placements.ContainsKey(name) && conv.Output.Channels <= 4095)
            {
                fused[i] = e;
                continue;
            }
            // A concatenation part's rescale (ConcatMapper: the part added to itself with the concatenation's scale),
            // the only reader of the convolution's output, anywhere later (SqueezeNet: expand1x1, expand3x3, rescale):
            // the epilogue combines the requantized tile with itself and the band store writes the rescaled part
            // (into its concatenation slice when placed). Its output is written at the convolution's turn.
            string own = conv.Output.Name;
            if (readers.GetValueOrDefault(own) != 2 || outputs.Contains(own) || placements.ContainsKey(own) || conv.Output.Channels > 4095) continue;
            var rescale = network.Layers.Skip(i + 1).OfType<ElementwiseLayer>().FirstOrDefault(l => l.Left.Name == own && l.Right.Name == own);
            if (rescale is not null && rescale.Output.Pixels == conv.Output.Pixels && rescale.Output.Channels == conv.Output.Channels) fused[i] = rescale;
        }
        return fused;
    }

    /// <summary>Second stores: a concatenation part that the placement cannot take (it has other readers, or is a
    /// network output) but whose producer is a convolution, an elementwise layer that may be fused into one, or a pool
    /// is also written by that convolution's (or pool's) band stores into its channel slice (one more store of the tile,
    /// instead of the concatenation's load and store); the network compiler applies it only where the convolution
    /// stores that tensor itself. Part name -> (concat output, offset).</summary>
    private static Dictionary<string, (string Concat, int Offset)> PlanSecondStores(Network network, IReadOnlyDictionary<string, (string Concat, int Offset)> placements)
    {
        var second = new Dictionary<string, (string, int)>();
        var producers = network.Layers.ToDictionary(l => l.Output.Name);
        var inputs = network.Inputs.Select(i => i.Name).ToHashSet();
        foreach (var concat in network.Layers.OfType<ConcatLayer>())
        {
            int offset = 0;
            foreach (var part in concat.Parts)
            {
                if (!placements.ContainsKey(part.Name) && !second.ContainsKey(part.Name) && !inputs.Contains(part.Name) && part.Pixels == concat.Output.Pixels
                    && concat.Parts.Count(p => p.Name == part.Name) == 1 && producers.TryGetValue(part.Name, out var producer) && producer is ConvLayer or ElementwiseLayer or MaxPoolLayer or AveragePoolLayer)
                {
                    second[part.Name] = (concat.Output.Name, offset);
                }
                offset += part.Channels;
            }
        }
        return second;
    }

    /// <summary>Concat by placement: a concatenation part that only the concatenation reads, that is not a network
    /// input or output, and whose producer is a convolution or an elementwise/lookup layer (whose stores can write
    /// with the concatenation's pixel pitch) is written by that producer straight into its channel slice of the
    /// concatenation's output; the concatenation copies only the other parts. Part name -> (concat output, offset).</summary>
    private static Dictionary<string, (string Concat, int Offset)> PlanPlacement(Network network)
    {
        var placements = new Dictionary<string, (string, int)>();
        var readers = new Dictionary<string, int>();
        foreach (var layer in network.Layers)
        {
            foreach (var name in layer.Inputs.Select(t => t.Name)) readers[name] = readers.GetValueOrDefault(name) + 1;
        }
        var producers = network.Layers.ToDictionary(l => l.Output.Name);
        var outputs = network.Outputs.ToHashSet();
        foreach (var concat in network.Layers.OfType<ConcatLayer>())
        {
            int offset = 0;
            foreach (var part in concat.Parts)
            {
                if (readers.GetValueOrDefault(part.Name) == 1 && !outputs.Contains(part.Name) && part.Pixels == concat.Output.Pixels
                    && producers.TryGetValue(part.Name, out var producer) && producer is ConvLayer or ElementwiseLayer or LookupLayer)
                {
                    placements[part.Name] = (concat.Output.Name, offset);
                }
                offset += part.Channels;
            }
        }
        return placements;
    }

    /// <summary>A 1x1, stride-1, unpadded convolution is a GEMM over pixels: seen as a column of Height x Width
    /// pixels (the same HWC bytes) its bands can be any number of pixels instead of whole image rows.</summary>
    /// <param name="subsample">A strided unpadded 1x1 convolution (one group) becomes a stride-1 one over the column of
    /// the pixels it reads (loaded with DMA strides, <see cref="Subsample"/>); not when its input is read from the
    /// scratchpad.</param>
    private static ConvLayer AsGemmColumn(ConvLayer conv, bool subsample = false)
    {
        var w = conv.Window;
        if (subsample && w.Taps == 1 && (w.StrideX > 1 || w.StrideY > 1) && w.Padding == Padding.None && conv.Groups == 1
            && (long)w.StrideX * conv.Input.Channels < 1 << 24 && (long)w.StrideY * conv.Input.Width * conv.Input.Channels < 1 << 28)
        {
            return conv with
            {
                Input = conv.Input with { Height = conv.Output.Pixels, Width = 1 },
                Output = conv.Output.Reshaped(conv.Output.Name, conv.Output.Pixels, 1, conv.Output.Channels),
                Window = w with { StrideX = 1, StrideY = 1 },
            };
        }
        if (w.Taps == 1 && w.StrideX == 1 && w.StrideY == 1 && w.Padding == Padding.None && conv.Input.Width > 1)
        {
            return conv with
            {
                Input = conv.Input.Reshaped(conv.Input.Name, conv.Input.Pixels, 1, conv.Input.Channels),
                Output = conv.Output.Reshaped(conv.Output.Name, conv.Output.Pixels, 1, conv.Output.Channels),
            };
        }
        return conv;
    }
}
