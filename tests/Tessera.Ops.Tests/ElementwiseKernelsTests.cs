using FsCheck.Xunit;
using Tessera.Core;
using static Tessera.Ops.Tests.ElementwiseHarness;

namespace Tessera.Ops.Tests;

public class ElementwiseKernelsTests
{
    /// <summary>The coalescing broadcast loop agrees with the obviously correct per-element index map on
    /// random shape pairs (ranks 0..4, sizes 0..5 with many 1s).</summary>
    [Property(MaxTest = 300)]
    public bool Broadcast_loop_matches_index_map(int seed)
    {
        var random = new Random(seed);
        var outShape = Enumerable.Range(0, random.Next(0, 5)).Select(_ => random.Next(0, 4) == 0 ? 1 : random.Next(0, 6)).ToArray();
        int[] Operand()
        {
            int rank = random.Next(0, outShape.Length + 1);
            return outShape[(outShape.Length - rank)..].Select(d => random.Next(0, 3) == 0 ? 1 : d).ToArray();
        }
        var aShape = Operand();
        var bShape = Operand();
        var shape = ShapeMath.Broadcast(aShape, bShape);
        var a = Enumerable.Range(0, (int)ShapeMath.ElementCount(aShape)).Select(i => (double)i).ToArray();
        var b = Enumerable.Range(0, (int)ShapeMath.ElementCount(bShape)).Select(i => 1000.0 * i).ToArray();
        var result = new double[ShapeMath.ElementCount(shape)];
        ElementwiseKernels.BroadcastLoop<double, double, double, AddDoubles>(a, aShape, b, bShape, result, shape, default);
        var mapA = ShapeMath.BroadcastIndexMap(aShape, shape);
        var mapB = ShapeMath.BroadcastIndexMap(bShape, shape);
        return result.Select((v, i) => v == a[mapA[i]] + b[mapB[i]]).All(ok => ok);
    }

    [Property(MaxTest = 100)]
    public bool Sub_is_anti_commutative_for_int64(long[] xs)
    {
        var a = Tensor.Create([xs.Length], xs);
        var b = Tensor.Create([xs.Length], xs.Reverse().ToArray());
        var ab = Run("Sub", a, b).As<long>();
        var ba = Run("Sub", b, a).As<long>();
        return ab.Zip(ba).All(p => p.First == unchecked(-p.Second));
    }

    [Fact]
    public void Channel_broadcast_over_nchw()
    {
        var x = F([1, 2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        var bias = F([1, 2, 1, 1], 10, 20);
        AssertTensor(Run("Add", x, bias), DataType.Float32, [1, 2, 2, 2], 11, 12, 13, 14, 25, 26, 27, 28);
    }

    [Fact]
    public void Delegate_unary_helper_on_float32_float16_and_with_output_type()
    {
        AssertFloats(Elementwise.UnaryFloat(F(1, -2), v => v * 3), 3, -6);
        var half = Elementwise.UnaryFloat(Tensor.Create([1], new[] { (Half)1.5f }), v => v + 1);
        Assert.Equal((Half)2.5f, half.As<Half>()[0]);
        var doubled = Elementwise.UnaryFloat(F(0.1f), v => v, DataType.Float64);
        Assert.Equal((double)0.1f, doubled.As<double>()[0]);
    }

    [Fact]
    public void Oversized_broadcast_result_is_an_input_error()
    {
        var column = Tensor.Zeros(DataType.Float32, [70000, 1]);
        var row = Tensor.Zeros(DataType.Float32, [1, 70000]);
        Assert.Throws<InvalidInputException>(() => Run("Add", column, row));
        Assert.Throws<InvalidInputException>(() => Run("Where", Tensor.Zeros(DataType.Bool, [70000, 1]), column, row));
    }

    [Fact]
    public void PRelu_rejects_slope_of_another_type()
    {
        Assert.Throws<InvalidInputException>(() => Run("PRelu", F(-1), D(0.5)));
    }

    private readonly struct AddDoubles : IBinaryFunction<double, double, double>
    {
        public double Invoke(double a, double b) => a + b;
    }
}
