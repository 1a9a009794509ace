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
        var memory = MemoryPlan.Build(network);
        var builder = new ProgramBuilder(spec, memory.ArenaBytes);
        var plans = new List<LayerPlan>();
        foreach (var layer in network.Layers)
        {
            int first = builder.Code.Count;
            var inputs = layer.Inputs.Select(t => memory[t.Name]).ToList();
            long output = memory[layer.Output.Name];
            (string decision, long estimate) = layer switch
            {
                ConvLayer conv => Conv(builder, conv, inputs[0], output),
                MaxPoolLayer pool => (VectorLowering.Pool(builder, pool, pool.Input, pool.Output, pool.Window, inputs[0], output), 0L),
                AveragePoolLayer pool => (VectorLowering.Pool(builder, pool, pool.Input, pool.Output, pool.Window, inputs[0], output), 0L),
                ElementwiseLayer or LookupLayer => (VectorLowering.Elementwise(builder, layer, inputs, output), 0L),
                ConcatLayer concat => (VectorLowering.Concat(builder, concat, inputs, output), 0L),
                ReshapeLayer => ("alias of the input buffer, no instructions", 0L),
                _ => ModelLayerLowering.Emit(builder, layer, inputs, output),
            };
            plans.Add(new LayerPlan(layer, decision, estimate, first, builder.Code.Count - first));
        }
        builder.Finish();
        var program = new NpuProgram { SpecHash = spec.Hash };
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

    /// <summary>Compiles one layer as a network of its own (inputs are the layer's inputs).</summary>
    public static CompiledNetwork Compile(NpuSpec spec, Layer layer)
    {
        var network = new Network();
        network.Inputs.AddRange(layer.Inputs.DistinctBy(t => t.Name));
        network.Layers.Add(layer);
        network.Outputs.Add(layer.Output.Name);
        return Compile(spec, network);
    }

    private static (string, long) Conv(ProgramBuilder builder, ConvLayer conv, long input, long output)
    {
        // A 1x1, stride-1, unpadded convolution is a GEMM over pixels: seen as a column of Height x Width
        // pixels (the same HWC bytes) its bands can be any number of pixels instead of whole image rows.
        var w = conv.Window;
        if (w.Taps == 1 && w.StrideX == 1 && w.StrideY == 1 && w.Padding == Padding.None && conv.Input.Width > 1)
        {
            conv = conv with
            {
                Input = conv.Input.Reshaped(conv.Input.Name, conv.Input.Pixels, 1, conv.Input.Channels),
                Output = conv.Output.Reshaped(conv.Output.Name, conv.Output.Pixels, 1, conv.Output.Channels),
            };
        }
        var plan = ConvPlanner.Plan(builder.Spec, conv);
        ConvLowering.Emit(builder, conv, plan, input, output);
        return (plan.Describe(conv), plan.Cost.Cycles);
    }
}
