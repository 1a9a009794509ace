using Tessera.Hardware;

namespace Tessera.Simulator.Tests;

internal static class TestData
{
    public static readonly string[] Configs = ["tiny", "small", "large"];

    private static readonly Dictionary<string, NpuSpec> Cache = [];

    public static NpuSpec Spec(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var spec)) Cache[name] = spec = NpuSpecLoader.Load(name);
            return spec;
        }
    }

    public static sbyte[] Random(int count, int seed, int low = -128, int high = 128)
    {
        var random = new Random(seed);
        var values = new sbyte[count];
        for (int i = 0; i < count; i++) values[i] = (sbyte)random.Next(low, high);
        return values;
    }

    public static byte[] Bytes(sbyte[] values) => (byte[])(Array)values;

    public static byte[] Bytes(int[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    public static int[] Ints(byte[] bytes)
    {
        var values = new int[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    public static sbyte[] SBytes(byte[] bytes) => (sbyte[])(Array)bytes;
}
