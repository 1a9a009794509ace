using Tessera.Compiler.Layers;
using Tessera.Integer;

namespace Tessera.Npu.Mapping;

/// <summary>Raised when a step needs a value in a layout other than the one it already has in the segment
/// being built (and the bytes differ): the partitioner then starts a new segment, so the host converts it.</summary>
public sealed class LayoutConflictException(string message) : Exception(message);

/// <summary>What a mapper sees while mapping one step into the segment being built: value shapes, the layout
/// each value already has in the segment, and the layers it adds. Nothing is kept unless the partitioner
/// commits the mapping.</summary>
public sealed class MappingContext
{
    private readonly SegmentBuilder _segment;
    private readonly ProgramValues _values;
    private readonly Dictionary<string, NpuLayout> _reads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NpuLayout> _writes = new(StringComparer.Ordinal);
    private readonly List<Layer> _layers = [];
    private int _temporaries;

    internal MappingContext(SegmentBuilder segment, ProgramValues values, IntegerStep step)
    {
        _segment = segment;
        _values = values;
        Step = step;
    }

    public IntegerStep Step { get; }

    internal IReadOnlyDictionary<string, NpuLayout> Reads => _reads;

    internal IReadOnlyDictionary<string, NpuLayout> Writes => _writes;

    internal IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The ONNX shape of a value (from the shape probe run).</summary>
    public int[] Shape(string value) => _values.Shape(value);

    /// <summary>The layout the value already has in this segment, if it is there.</summary>
    public NpuLayout? LayoutOf(string value) =>
        _writes.TryGetValue(value, out var w) ? w : _reads.TryGetValue(value, out var r) ? r : _segment.LayoutOf(value);

    /// <summary>The layout to read a value in when the layer does not care: the one it has, else its natural one.</summary>
    public NpuLayout Preferred(params string[] values) =>
        values.Select(LayoutOf).FirstOrDefault(l => l is not null) ?? ValueLayout.Natural(Shape(values[0]));

    /// <summary>The NPU view of a value read by the step in <paramref name="layout"/>, or null when its shape has
    /// no such view. A value made in this segment in another layout with other bytes is a conflict.</summary>
    public NpuTensor? Read(string value, NpuLayout layout, int zeroPoint)
    {
        var shape = Shape(value);
        if (LayoutOf(value) is { } existing && !ValueLayout.SameBytes(shape, existing, layout))
        {
            throw new LayoutConflictException($"'{value}' is {existing} in this segment, '{Step.Name}' needs it as {layout}");
        }
        var view = ValueLayout.View(value, shape, layout, zeroPoint);
        if (view is not null && LayoutOf(value) is null) _reads[value] = layout;
        return view;
    }

    /// <summary>The NPU view of a value the step writes, or null when its shape has no such view.</summary>
    public NpuTensor? Write(string value, NpuLayout layout, int zeroPoint)
    {
        var view = ValueLayout.View(value, Shape(value), layout, zeroPoint);
        if (view is not null) _writes[value] = layout;
        return view;
    }

    /// <summary>A tensor that exists only on the NPU (e.g. a rescaled Concat part), named after the step.</summary>
    public NpuTensor Temporary(NpuTensor like, int zeroPoint) =>
        like with { Name = $"{Step.Name}#npu{_temporaries++}", ZeroPoint = zeroPoint };

    public void Add(Layer layer) => _layers.Add(layer);
}
