using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tessera.Compiler.Layers;

namespace Tessera.Compiler.Tests;

/// <summary>Random shapes of the layer kinds the real models add, configurations rotating over tiny/small/large:
/// compiled program == oracle bit for bit.</summary>
public class ModelLayerPropertyTests
{
    [Property(MaxTest = 40)]
    public Property Random_broadcasts_are_bit_exact(PositiveInt seedValue)
    {
        int seed = seedValue.Get;
        var random = new Random(seed);
        int h = random.Next(1, 20), w = random.Next(1, 20), c = random.Next(1, 70);
        NpuTensor Operand(string name) => Make.Tensor(name, random.Next(2) == 0 ? 1 : h, random.Next(2) == 0 ? 1 : w, random.Next(2) == 0 ? 1 : c, random);
        var left = Operand("a");
        var right = Operand("b");
        // The output is the broadcast of the two: give one operand the full size on axes both broadcast.
        if (left.Height == 1 && right.Height == 1) right = right with { Height = h };
        if (left.Width == 1 && right.Width == 1) left = left with { Width = w };
        if (left.Channels == 1 && right.Channels == 1) right = right with { Channels = c };
        LayerTests.AssertBitExact(Make.Configs[seed % 3], ModelLayerMake.Broadcast("op", left, right, random.Next(2) == 0, random), seed, requireSpread: false);
        return true.ToProperty();
    }

    [Property(MaxTest = 40)]
    public Property Random_activation_matmuls_are_bit_exact(PositiveInt seedValue)
    {
        int seed = seedValue.Get;
        var random = new Random(seed);
        int batches = random.Next(1, 5), m = random.Next(1, 45), k = random.Next(1, 80), n = random.Next(1, 80);
        bool transpose = random.Next(2) == 0, shared = random.Next(4) == 0;
        int Zero() => random.Next(4) switch { 0 => -128, 1 => 0, 2 => 127, _ => random.Next(-128, 128) };
        var left = new NpuTensor("a", batches, m, k, Zero());
        var right = new NpuTensor("b", shared ? 1 : batches, transpose ? n : k, transpose ? k : n, Zero());
        int minimum = random.Next(2) == 0 ? -128 : random.Next(-128, 0);
        var layer = ModelLayerMake.MatMul("mm", left, right, transpose, random, perColumn: random.Next(2) == 0, minimum: minimum);
        LayerTests.AssertBitExact(Make.Configs[seed % 3], layer, seed, requireSpread: false);
        return true.ToProperty();
    }

    [Property(MaxTest = 40)]
    public Property Random_resizes_transposes_and_transposed_convolutions_are_bit_exact(PositiveInt seedValue)
    {
        int seed = seedValue.Get;
        var random = new Random(seed);
        int h = random.Next(1, 14), w = random.Next(1, 14), c = random.Next(1, 50);
        var x = Make.Tensor("x", h, w, c, random);
        Layer layer;
        switch (random.Next(4))
        {
            case 3:
                {
                    int[] p = [.. new[] { 0, 1, 2 }.OrderBy(_ => random.Next())], sizes = [h, w, c];
                    layer = new TransposeLayer("t", x, x with { Name = "y", Height = sizes[p[0]], Width = sizes[p[1]], Channels = sizes[p[2]] }, p);
                    break;
                }
            case 0:
                layer = ResizeNearestLayer.Upsample("up", x, x with { Name = "y", Height = h * random.Next(1, 4), Width = w * random.Next(1, 4) });
                break;
            case 1:
                {
                    int oh = random.Next(1, 25), ow = random.Next(1, 25);
                    int[] rows = [.. Enumerable.Range(0, oh).Select(_ => random.Next(h))], columns = [.. Enumerable.Range(0, ow).Select(_ => random.Next(w))];
                    if (random.Next(2) == 0) Array.Sort(rows);
                    if (random.Next(2) == 0) Array.Sort(columns);
                    layer = new ResizeNearestLayer("map", x, x with { Name = "y", Height = oh, Width = ow }, rows, columns);
                    break;
                }
            default:
                {
                    int kh = random.Next(1, 5), kw = random.Next(1, 5);
                    if (random.Next(2) == 0)
                    {
                        layer = ModelLayerMake.ConvTranspose("up", x, random.Next(1, 40), new Window(kh, kw, kh, kw), 1, random);
                        break;
                    }
                    // General: any stride, dilation, padding below the dilated kernel, output padding below the stride, groups.
                    int sy = random.Next(1, 4), sx = random.Next(1, 4), dy = random.Next(1, 3), dx = random.Next(1, 3);
                    int reachY = (kh - 1) * dy + 1, reachX = (kw - 1) * dx + 1;
                    var padding = new Padding(random.Next(0, reachY), random.Next(0, reachX), random.Next(0, reachY), random.Next(0, reachX));
                    int groups = c % 2 == 0 && random.Next(2) == 0 ? 2 : 1;
                    int oy = random.Next(0, Math.Max(sy, dy)), ox = random.Next(0, Math.Max(sx, dx));
                    var window = new Window(kh, kw, sy, sx, dy, dx, padding);
                    if (ConvTransposeLayer.CroppedSize(h, kh, sy, dy, padding.Top, padding.Bottom) + oy < 1 || ConvTransposeLayer.CroppedSize(w, kw, sx, dx, padding.Left, padding.Right) + ox < 1)
                    {
                        window = window with { Padding = Padding.None };
                    }
                    layer = ModelLayerMake.ConvTranspose("ct", x, groups * random.Next(1, 20), window, groups, random, oy, ox);
                    break;
                }
        }
        LayerTests.AssertBitExact(Make.Configs[seed % 3], layer, seed, requireSpread: false);
        return true.ToProperty();
    }
}
