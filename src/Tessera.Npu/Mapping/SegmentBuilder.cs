using Tessera.Compiler;
using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>Collects consecutive mapped steps into one network: the values it reads from the host (with the
/// layout chosen for each), the values it produces, its layers and which step each layer came from.</summary>
internal sealed class SegmentBuilder(ProgramValues values, HashSet<string> layerNames)
{
    private readonly Dictionary<string, NpuLayout> _layouts = new(StringComparer.Ordinal);

    public List<IntegerStep> Steps { get; } = [];

    public List<Layer> Layers { get; } = [];

    public Dictionary<string, IntegerStep> LayerOwners { get; } = new(StringComparer.Ordinal);

    /// <summary>Values read from the host, in first-use order, with their layout.</summary>
    public List<(string Value, NpuLayout Layout)> Inputs { get; } = [];

    /// <summary>Program values produced in the segment, with their layout.</summary>
    public List<(string Value, NpuLayout Layout)> Produced { get; } = [];

    public bool IsEmpty => Steps.Count == 0;

    public NpuLayout? LayoutOf(string value) => _layouts.TryGetValue(value, out var l) ? l : null;

    public MappingContext Begin(IntegerStep step) => new(this, values, step);

    public void Commit(MappingContext context)
    {
        foreach (var (value, layout) in context.Reads)
        {
            _layouts[value] = layout;
            Inputs.Add((value, layout));
        }
        foreach (var (value, layout) in context.Writes)
        {
            _layouts[value] = layout;
            Produced.Add((value, layout));
        }
        foreach (var layer in context.Layers)
        {
            // Two steps of one node (MaxPool then its rescale) share a name; reports need distinct ones.
            var named = layer;
            for (int i = 2; !layerNames.Add(named.Name); i++) named = layer with { Name = $"{layer.Name}#{i}" };
            Layers.Add(named);
            LayerOwners[named.Name] = context.Step;
        }
        Steps.Add(context.Step);
    }

    /// <summary>The network of the segment; <paramref name="outputs"/> are the produced values read afterwards.</summary>
    public Network Network(IEnumerable<string> outputs)
    {
        var network = new Network();
        foreach (var (value, layout) in Inputs) network.Inputs.Add(ValueLayout.View(value, values.Shape(value), layout, 0)!);
        network.Layers.AddRange(Layers);
        network.Outputs.AddRange(outputs);
        return network;
    }
}
