using Tessera.Compiler.Layers;
using Tessera.Hardware;

namespace Tessera.Compiler.Tests;

/// <summary>The tests' short names for <see cref="RandomLayers"/> and the configurations they run on.</summary>
internal static class Make
{
    public static readonly string[] Configs = ["tiny", "small", "large"];

    private static readonly Dictionary<string, NpuSpec> Specs = [];

    public static NpuSpec Spec(string name)
    {
        lock (Specs)
        {
            if (!Specs.TryGetValue(name, out var spec)) Specs[name] = spec = NpuSpecLoader.Load(name);
            return spec;
        }
    }

    public static sbyte[] Values(int count, Random random, int low = -128, int high = 128) => RandomLayers.Values(count, random, low, high);

    public static NpuTensor Tensor(string name, int h, int w, int c, Random random) => new(name, h, w, c, random.Next(-20, 21));

    public static ConvLayer Conv(string name, NpuTensor input, int outputChannels, Window window, int groups, Random random, int minimum = -128, int maximum = 127, string? outputName = null) =>
        RandomLayers.Conv(name, input, outputChannels, window, groups, random, minimum, maximum, outputName);

    public static int[] AddParameters(NpuTensor a, NpuTensor b, NpuTensor output, Random random) => RandomLayers.AddParameters(a, b, output, random);

    public static int[] MultiplyParameters(NpuTensor a, NpuTensor b, NpuTensor output, Random random) => RandomLayers.MultiplyParameters(a, b, output, random);

    public static Dictionary<string, sbyte[]> Inputs(IEnumerable<NpuTensor> tensors, Random random) =>
        tensors.DistinctBy(t => t.Name).ToDictionary(t => t.Name, t => Values(t.Length, random));
}
