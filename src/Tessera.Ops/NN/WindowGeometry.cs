using Tessera.Core;

namespace Tessera.Ops.NN;

/// <summary>The sliding-window arithmetic shared by Conv and the pools: kernel, strides, dilations,
/// begin/end pads (resolved from auto_pad) and the output size of each spatial axis.</summary>
public sealed record WindowGeometry(int[] Kernel, int[] Strides, int[] Dilations, int[] PadBegin, int[] PadEnd, int[] Output)
{
    public int Rank => Kernel.Length;

    /// <summary>Resolves the window of an N-D op. <paramref name="input"/> holds the spatial sizes
    /// (-1 where unknown, which gives an unknown output size); <paramref name="ceilMode"/> is the pools'
    /// ceil_mode.</summary>
    public static WindowGeometry Resolve(AttributeReader attributes, long[] input, int[] kernel, bool ceilMode = false)
    {
        int rank = kernel.Length;
        var strides = Ints(attributes.GetInts("strides"), rank, 1, "strides", attributes);
        var dilations = Ints(attributes.GetInts("dilations"), rank, 1, "dilations", attributes);
        var pads = attributes.GetInts("pads");
        if (pads is not null && pads.Length != 2 * rank) throw new ModelFormatException($"pads has {pads.Length} values, expected {2 * rank}", attributes.Node.DisplayName);
        var begin = new int[rank];
        var end = new int[rank];
        var output = new int[rank];
        string autoPad = attributes.GetString("auto_pad", "NOTSET");
        for (int i = 0; i < rank; i++)
        {
            if (strides[i] <= 0 || dilations[i] <= 0 || kernel[i] <= 0)
            {
                throw new ModelFormatException("strides, dilations and kernel sizes must be positive", attributes.Node.DisplayName);
            }
            long extent = (long)(kernel[i] - 1) * dilations[i] + 1;
            long size = input[i];
            switch (autoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                    if (size < 0) { output[i] = -1; break; }
                    long o = (size + strides[i] - 1) / strides[i];
                    long total = System.Math.Max(0, (o - 1) * strides[i] + extent - size);
                    long small = total / 2, large = total - small;
                    begin[i] = (int)(autoPad == "SAME_UPPER" ? small : large);
                    end[i] = (int)(autoPad == "SAME_UPPER" ? large : small);
                    output[i] = (int)o;
                    break;
                case "VALID":
                case "NOTSET":
                    if (autoPad == "NOTSET" && pads is not null)
                    {
                        begin[i] = checked((int)pads[i]);
                        end[i] = checked((int)pads[i + rank]);
                    }
                    if (size < 0) { output[i] = -1; break; }
                    long span = size + begin[i] + end[i] - extent;
                    if (span < 0) throw new InvalidInputException($"the window ({extent}) is larger than the padded input ({size + begin[i] + end[i]}) on spatial axis {i}", attributes.Node.DisplayName);
                    long count = ceilMode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1;
                    // ceil_mode may not start a window inside the end padding only.
                    if (ceilMode && (count - 1) * strides[i] >= size + begin[i]) count--;
                    output[i] = (int)count;
                    break;
                default:
                    throw attributes.Unsupported($"auto_pad '{autoPad}'");
            }
        }
        return new WindowGeometry(kernel, strides, dilations, begin, end, output);
    }

    private static int[] Ints(long[]? values, int rank, int defaultValue, string name, AttributeReader attributes)
    {
        if (values is null) return Enumerable.Repeat(defaultValue, rank).ToArray();
        if (values.Length != rank) throw new ModelFormatException($"{name} has {values.Length} values, expected {rank}", attributes.Node.DisplayName);
        return values.Select(v => checked((int)v)).ToArray();
    }

    /// <summary>Spatial sizes of a static shape from axis 2 on (-1 where not known).</summary>
    public static long[] SpatialOf(TensorShape shape) => shape.Dims.Skip(2).Select(d => d.IsKnown ? d.Value : -1).ToArray();

    /// <summary>Static output shape [batch, channels, spatial...] with unknown dims where sizes are unknown.</summary>
    public TensorShape OutputShape(Dim batch, Dim channels) =>
        new([batch, channels, .. Output.Select(o => o < 0 ? Dim.Unknown : Dim.Known(o))]);

    /// <summary>Kernel spatial sizes of an [M, C/group, k...] weight type, or null when unknown.</summary>
    public static int[]? KernelOf(TensorShape? weight) =>
        weight is null || weight.Rank < 3 || weight.Dims.Skip(2).Any(d => !d.IsKnown)
            ? null
            : weight.Dims.Skip(2).Select(d => (int)d.Value).ToArray();
}
