using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Kernels.Cpu.Int8;

namespace Tessera.Kernels.Cpu.Tests;

/// <summary>The table forms of the int8 elementwise steps against the reference steps, byte for byte: Add and Mul
/// on every pair of int8 operands (equal shapes and one value per row, either side) with zero points at the ends
/// of the range, saturating multipliers and ReLU-like clamps; lookups on every value and on sizes around the
/// 64-byte vector; a lookup multiplied by its input folded into one table (and not folded when its value has
/// another use); and the guard that keeps the fast steps off the TfLite and Float requantization profiles.</summary>
public sealed class Int8TableTests
{
    private static readonly int[] Values = Enumerable.Range(-128, 256).ToArray();

    // Every pair (a, b) once: a = row index, b = column.
    private static (Tensor A, Tensor B) AllPairs(int repeat)
    {
        var a = new sbyte[65536 * repeat];
        var b = new sbyte[65536 * repeat];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (sbyte)(((i >> 8) & 255) - 128);
            b[i] = (sbyte)((i & 255) - 128);
        }
        return (Tensor.Create([repeat, 256, 256], a), Tensor.Create([repeat, 256, 256], b));
    }

    public static IEnumerable<int[]> AddParameterSets()
    {
        var random = new Random(31);
        for (int k = 0; k < 6; k++)
        {
            double sa = 0.005 + random.NextDouble() * 0.1, sb = 0.005 + random.NextDouble() * 0.1;
            // Small output scales saturate most sums; large ones keep them inside.
            double so = k % 2 == 0 ? 0.002 + random.NextDouble() * 0.01 : 0.05 + random.NextDouble() * 0.2;
            double twice = 2 * Math.Max(sa, sb);
            var (ma, ea) = FixedPoint.QuantizeMultiplier(sa / twice);
            var (mb, eb) = FixedPoint.QuantizeMultiplier(sb / twice);
            var (mo, eo) = FixedPoint.QuantizeMultiplier(twice / ((1 << 20) * so));
            int zero = k switch { 0 => -128, 1 => 127, _ => random.Next(-40, 40) };
            // k = 2, 3: a fused ReLU (the clamp starts at the output zero point).
            int min = k is 2 or 3 ? zero : -128, max = k == 4 ? 6 : 127;
            yield return [k == 0 ? 127 : random.Next(-128, 128), k == 1 ? -128 : random.Next(-128, 128), 20, ma, ea, mb, eb, mo, eo, zero, min, max];
        }
    }

    public static IEnumerable<int[]> MulParameterSets()
    {
        var random = new Random(32);
        for (int k = 0; k < 6; k++)
        {
            // 0.0001 .. 0.5: from nearly everything near the zero point to nearly everything saturated (left shift).
            var (m, e) = FixedPoint.QuantizeMultiplier(k == 5 ? 2.5 : Math.Pow(10, -4 + random.NextDouble() * 3.5));
            int zero = k switch { 0 => -128, 1 => 127, _ => random.Next(-40, 40) };
            yield return [k == 0 ? -128 : random.Next(-128, 128), k == 1 ? 127 : random.Next(-128, 128), m, e, zero, k == 2 ? zero : -128, k == 3 ? 20 : 127];
        }
    }

    [Fact]
    public void Table_add_and_mul_equal_the_reference_steps_on_every_pair()
    {
        var (a, b) = AllPairs(1);
        var (a2, b2) = AllPairs(3);
        foreach (bool multiply in new[] { false, true })
        foreach (var p in multiply ? MulParameterSets() : AddParameterSets())
        {
            var step = new BinaryStep("op", multiply ? "Mul" : "Add", "a", "b", "y", p, unsigned: false);
            string what = $"{(multiply ? "Mul" : "Add")} [{string.Join(",", p)}]";
            Same(step, new Int8Binary(step, 1), [("a", a), ("b", b)], what + " equal shapes");
            // 3 x 65536 values: large enough for two threads.
            Same(step, new Int8Binary(step, 2), [("a", a2), ("b", b2)], what + " equal shapes, 2 threads");
            // One value per row on the right, then on the left: [256, 256] against [256, 1] covers every pair.
            var full = Tensor.Create([256, 256], a.As<sbyte>().Select((_, i) => (sbyte)((i & 255) - 128)).ToArray());
            var column = Tensor.Create([256, 1], Values.Select(v => (sbyte)v).ToArray());
            foreach (int threads in new[] { 1, 2 })
            {
                Same(step, new Int8Binary(step, threads), [("a", full), ("b", column)], what + " per row on the right");
                Same(step, new Int8Binary(step, threads), [("a", column), ("b", full)], what + " per row on the left");
            }
        }
    }

    [Fact]
    public void Table_of_a_binary_step_is_its_fixed_point_function()
    {
        foreach (var p in AddParameterSets())
        {
            var table = Int8Binary.Table(new BinaryStep("op", "Add", "a", "b", "y", p, unsigned: false));
            foreach (int x in Values)
            foreach (int y in new[] { -128, -1, 0, 1, 127 })
            {
                Assert.Equal(FixedPoint.Add(x, y, p), table[((byte)x << 8) | (byte)y]);
            }
        }
    }

    [Fact]
    public void Add_as_two_operand_tables_and_a_requantization_equals_the_pair_table()
    {
        var random = new Random(34);
        var sets = AddParameterSets().ToList();
        // A positive output shift (a left shift before the multiply) and a clamp outside int8 (no plane form).
        var (mo, eo) = FixedPoint.QuantizeMultiplier(3.0 / (1 << 20));
        sets.Add([3, -7, 20, sets[2][3], sets[2][4], sets[2][5], sets[2][6], mo, eo, 5, -128, 127]);
        foreach (var p in sets.Append([0, 0, 20, sets[0][3], sets[0][4], sets[0][5], sets[0][6], sets[0][7], sets[0][8], 0, -200, 127]))
        {
            var step = new BinaryStep("op", "Add", "a", "b", "y", p, unsigned: false);
            var planes = AddPlanes.For(step);
            if (p[10] < sbyte.MinValue || !System.Runtime.Intrinsics.X86.Avx512Vbmi.IsSupported)
            {
                Assert.Null(planes);
                Assert.False(new Int8Binary(step, 1).Planes);
                continue;
            }
            Assert.NotNull(planes);
            Assert.True(new Int8Binary(step, 1).Planes);
            var table = Int8Binary.Table(step);
            string what = $"Add [{string.Join(",", p)}]";
            // Every pair through the 64-value kernel, then sizes around the vector through its tail.
            var (a, b) = AllPairs(1);
            var y = new sbyte[65536];
            planes.Run(a.As<sbyte>(), b.As<sbyte>(), y);
            for (int i = 0; i < y.Length; i++) Assert.True(table[((byte)a.As<sbyte>()[i] << 8) | (byte)b.As<sbyte>()[i]] == y[i], $"{what} at pair {i}");
            foreach (int size in new[] { 0, 1, 7, 8, 17, 31, 32, 33, 63, 64, 65, 127, 129, 255, 1000 })
            {
                var x = Enumerable.Range(0, size).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
                var z = Enumerable.Range(0, size).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
                // One extra output byte that must stay untouched.
                var output = new sbyte[size + 1];
                output[size] = 77;
                planes.Run(x, z, output.AsSpan(0, size));
                for (int i = 0; i < size; i++) Assert.True(table[((byte)x[i] << 8) | (byte)z[i]] == output[i], $"{what}, size {size}, at {i}");
                Assert.Equal(77, output[size]);
            }
        }
    }

    [Fact]
    public void Add_plane_form_equals_the_fixed_point_add_on_random_scales()
    {
        // Operand scales over four decades (right shifts 0..13), left shifts 12..22, zero points anywhere, output
        // scales that saturate or not, positive output shifts, ReLU clamps: every pair of values and odd sizes
        // against FixedPoint.Add itself. Under AVX512-VBMI the form applies to every such set.
        var random = new Random(35);
        var (a, b) = AllPairs(1);
        for (int k = 0; k < 24; k++)
        {
            int leftShift = k < 16 ? 20 : 12 + random.Next(0, 11);
            double ra = k == 0 ? 0.5 : Math.Pow(10, -random.NextDouble() * 4) / 2, rb = k == 1 ? 0.5 : Math.Pow(10, -random.NextDouble() * 4) / 2;
            var (ma, ea) = FixedPoint.QuantizeMultiplier(ra);
            var (mb, eb) = FixedPoint.QuantizeMultiplier(rb);
            var (mo, eo) = FixedPoint.QuantizeMultiplier(Math.Pow(10, -random.NextDouble() * 3) * 300.0 / (1 << leftShift) * (k % 5 == 4 ? 1000 : 1));
            int zero = random.Next(-128, 128), min = k % 3 == 0 ? zero : -128, max = k % 7 == 3 ? Math.Max(min, 6) : 127;
            int[] p = [random.Next(-128, 128), random.Next(-128, 128), leftShift, ma, ea, mb, eb, mo, eo, zero, min, max];
            string what = $"Add [{string.Join(",", p)}]";
            var planes = AddPlanes.For(new BinaryStep("op", "Add", "a", "b", "y", p, unsigned: false));
            if (!System.Runtime.Intrinsics.X86.Avx512Vbmi.IsSupported)
            {
                Assert.Null(planes);
                continue;
            }
            Assert.True(planes is not null, what);
            var y = new sbyte[65536];
            planes.Run(a.As<sbyte>(), b.As<sbyte>(), y);
            for (int i = 0; i < y.Length; i++) Assert.True(FixedPoint.Add(a.As<sbyte>()[i], b.As<sbyte>()[i], p) == y[i], $"{what} at pair {i}");
            foreach (int size in new[] { 0, 1, 7, 17, 255 })
            {
                int start = random.Next(0, 1000);
                var output = new sbyte[size];
                planes.Run(a.As<sbyte>().AsSpan(start, size), b.As<sbyte>().AsSpan(start, size), output);
                for (int i = 0; i < size; i++) Assert.True(FixedPoint.Add(a.As<sbyte>()[start + i], b.As<sbyte>()[start + i], p) == output[i], $"{what}, size {size}, at {i}");
            }
        }
    }

    [Fact]
    public void Fast_lookup_equals_the_reference_step()
    {
        var random = new Random(33);
        var table = new sbyte[256];
        foreach (int size in new[] { 0, 1, 63, 64, 65, 255, 256, 1000, 1 << 19 })
        foreach (int threads in new[] { 1, 2 })
        {
            for (int i = 0; i < 256; i++) table[i] = (sbyte)random.Next(-128, 128);
            var step = new LookupStep("lookup", "Sigmoid", "a", "y", table.ToArray(), unsigned: false);
            var x = Tensor.Create([size], Enumerable.Range(0, size).Select(i => (sbyte)(i < 256 ? i - 128 : random.Next(-128, 128))).ToArray());
            Same(step, Int8Lookup.Of(step, threads), [("a", x)], $"Lookup of {size} values, {threads} thread(s)");
        }
    }

    [Fact]
    public void Lookup_multiplied_by_its_input_runs_as_one_table_and_equals_the_executor()
    {
        var random = new Random(34);
        var hardSigmoid = Values.Select(v => (sbyte)Math.Clamp((v + 128) / 2 - 128 + random.Next(-3, 4), -128, 127)).ToArray();
        var x = Tensor.Create([2, 3, 65, 7], Enumerable.Range(0, 2 * 3 * 65 * 7).Select(i => (sbyte)(i < 256 ? i - 128 : random.Next(-128, 128))).ToArray());
        foreach (var p in MulParameterSets())
        foreach (bool lookupLeft in new[] { false, true })
        foreach (bool secondUse in new[] { false, true })
        {
            var lookup = new LookupStep("hs.lookup", "HardSigmoid", "x", "s", hardSigmoid, unsigned: false);
            var mul = new BinaryStep("hs.mul", "Mul", lookupLeft ? "s" : "x", lookupLeft ? "x" : "s", "y", p, unsigned: false);
            // With a second use (the lookup's value is also an output) the pair is not folded.
            var program = new IntegerProgram([lookup, mul], [], new Dictionary<string, Tensor>(), ["x"], secondUse ? ["y", "s"] : ["y"], new Dictionary<string, string>());
            var fast = CpuIntegerProgram.Accelerate(program, 1);
            Assert.Equal(secondUse ? 2 : 1, fast.Steps.Count);
            Assert.All(fast.Steps, s => Assert.True(CpuIntegerProgram.IsFast(s), s.ToString()));
            var inputs = new Dictionary<string, Tensor> { ["x"] = x };
            var expected = program.Run(inputs);
            var actual = fast.Run(inputs);
            foreach (var name in program.Outputs)
            {
                Assert.True(expected.Get(name).As<sbyte>().AsSpan().SequenceEqual(actual.Get(name).As<sbyte>()), $"{name}: lookup {(lookupLeft ? "left" : "right")}, second use {secondUse}, [{string.Join(",", p)}]");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(0)]
    public void Concat_with_rescaled_inputs_equals_the_reference_step(int axis)
    {
        var random = new Random(57 + axis);
        var node = new Node("Concat", [new Value("a"), new Value("b"), new Value("c")], [new Value("y")], "", "cat");
        node.SetAttribute(NodeAttribute.Int("axis", axis));
        // a: same parameters as the output (copied); b: a larger scale (saturates at both ends); c: a smaller one.
        Requantizer?[] rescale = [null, Requantizer.ForValues(1.7, 9), Requantizer.ForValues(0.37, -4)];
        int[] zeros = [0, -128, 127];
        var reference = new ConcatStep(node, 13, new Tessera.Ops.TensorOps.Concat(), ["a", "b", "c"], zeros, rescale, "y", unsigned: false);
        var fast = CpuIntegerProgram.Accelerate(new IntegerProgram([reference], [], new Dictionary<string, Tensor>(), ["a", "b", "c"], ["y"], new Dictionary<string, string>())).Steps.Single();
        Assert.IsType<Int8Concat>(fast);
        Tensor Random(int[] shape) => Tensor.Create(shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => (sbyte)random.Next(-128, 128)).ToArray());
        int[] Shape(int size) => axis switch { 0 => [size, 3, 5, 7], 1 => [2, size, 5, 7], _ => [2, 3, 5, size] };
        // Every int8 value through each rescale, plus random blocks of uneven sizes along the axis.
        var b = Random(Shape(40));
        for (int v = 0; v < 256 && v < b.Length; v++) b.As<sbyte>()[v] = (sbyte)(v - 128);
        var c = Random(Shape(41));
        for (int v = 0; v < 256 && v < c.Length; v++) c.As<sbyte>()[v] = (sbyte)(127 - v);
        Same(reference, fast, [("a", Random(Shape(3))), ("b", b), ("c", c)], $"Concat axis {axis}");
    }

    [Fact]
    public void Fast_steps_stay_off_the_tflite_and_float_profiles_and_the_result_equals_the_executor()
    {
        var random = new Random(35);
        // x -> pointwise Conv -> depthwise Conv -> Add(residual x) -> y, with uneven multipliers so the
        // profiles' roundings differ on some values.
        Node Conv(string name, int group, int kernel)
        {
            var node = new Node("Conv", [new Value("in"), new Value("w")], [new Value("out")], "", name);
            node.SetAttribute(NodeAttribute.Ints("kernel_shape", [kernel, kernel]));
            node.SetAttribute(NodeAttribute.Ints("pads", [kernel / 2, kernel / 2, kernel / 2, kernel / 2]));
            node.SetAttribute(NodeAttribute.Int("group", group));
            return node;
        }
        const int C = 8, H = 9, W = 11;
        Tensor Weights(int[] shape) => Tensor.Create(shape, Enumerable.Range(0, (int)ShapeMath.ElementCount(shape)).Select(_ => (sbyte)random.Next(-128, 128)).ToArray());
        Requantizer Requant(int k) => Requantizer.FromRealMultipliers(Enumerable.Range(0, C).Select(_ => (0.3 + random.NextDouble()) / (k * 128.0)).ToArray(), random.Next(-10, 10), -128, 127);
        var pointwise = new ConvolutionStep(Conv("pw", 1, 1), "x", "h", 3, Weights([C, C, 1, 1]), [0], Enumerable.Range(0, C).Select(_ => random.Next(-999, 999)).ToArray(), Requant(C), unsigned: false);
        var depthwise = new ConvolutionStep(Conv("dw", C, 3), "h", "d", -5, Weights([C, 1, 3, 3]), [0], Enumerable.Range(0, C).Select(_ => random.Next(-999, 999)).ToArray(), Requant(9), unsigned: false);
        var quant = (new ActivationQuantization(0.05f, 3), new ActivationQuantization(0.04f, -7), new ActivationQuantization(0.07f, 2));
        var add = new BinaryStep("add", "Add", "d", "x", "y", AddParameterSets().First(), unsigned: false, quant);
        var program = new IntegerProgram([pointwise, depthwise, add], [], new Dictionary<string, Tensor>(), ["x"], ["y", "h"], new Dictionary<string, string>());
        var inputs = new Dictionary<string, Tensor> { ["x"] = Weights([1, C, H, W]) };
        foreach (var profile in Enum.GetValues<RequantizationProfile>())
        foreach (int threads in new[] { 1, 2 })
        {
            var profiled = program.WithRequantization(profile);
            var fast = CpuIntegerProgram.Accelerate(profiled, threads);
            var fastKinds = fast.Steps.Select(CpuIntegerProgram.IsFast).ToArray();
            // Reference: everything fast. TfLite: the pointwise convolution rounds once (not fast); the depthwise one
            // and the Add keep the reference arithmetic. Float, ArmNn and OnnxRuntime: no convolution and no Add is fast
            // (OnnxRuntime: no step at all).
            bool[] want = profile switch
            {
                RequantizationProfile.TfLite => [false, true, true],
                RequantizationProfile.Float or RequantizationProfile.ArmNn or RequantizationProfile.OnnxRuntime => [false, false, false],
                _ => [true, true, true],
            };
            Assert.Equal(want, fastKinds);
            if (profile == RequantizationProfile.OnnxRuntime) Assert.Equal(0, CpuIntegerProgram.FastSteps(fast));
            var expected = profiled.Run(inputs);
            var actual = fast.Run(inputs);
            foreach (var name in new[] { "h", "d", "y" })
            {
                Assert.True(expected.Get(name).As<sbyte>().AsSpan().SequenceEqual(actual.Get(name).As<sbyte>()), $"{profile}, {threads} thread(s): {name} differs");
            }
        }
    }

    // Twice: the second run reuses the output array.
    private static void Same(IntegerStep reference, IntegerStep fast, (string Name, Tensor Value)[] inputs, string what) =>
        Int8StepTests.Same(reference, fast, inputs, what, runs: 2);
}
