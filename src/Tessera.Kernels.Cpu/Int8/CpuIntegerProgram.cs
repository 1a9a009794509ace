using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>The cpu backend for quantized models: the integer program with the steps the fast int8 kernels
/// cover (requantizing convolutions, depthwise included, ungrouped transposed convolutions, Add and Mul with equal
/// shapes or a per-channel operand as table lookups, lookups, a lookup multiplied by its input as one lookup,
/// MaxPool, GlobalAveragePool, nearest Resize, quantize and dequantize, a float Transpose read only by a quantize as one
/// quantize-and-permute step, a convolution and the Add that is its only reader as one step, Add and Mul by a
/// one-value constant as tables, a chain of tables each read only by the next as one table, and the tables that are
/// the only reader of a convolution's output in that convolution's epilogue); a folded lookup's
/// value, and a convolution's output that only its fused Add read, is not made (it had no other use). The fast steps reuse their output arrays from run to run, so the
/// values of one run's state stay valid until the next run of the same program (graph outputs are made by the
/// final dequantize, a reference step, and are always fresh). replaced by them; every other step stays the integer
/// reference step. The result is bit for bit the integer executor's.</summary>
public static class CpuIntegerProgram
{
    /// <summary>A program running the same steps with the fast kernels on <paramref name="threads"/> threads
    /// (0: all cores) using <paramref name="isa"/> (default: the best the processor supports).</summary>
    public static IntegerProgram Accelerate(IntegerProgram program, int threads = 1, Int8Isa? isa = null)
    {
        if (program.Profile == RequantizationProfile.OnnxRuntime) return program; // float32 requantization: no fast step reproduces it
        var chosen = isa ?? Int8Gemm.Best;
        if (!Int8Gemm.IsSupported(chosen)) throw new Core.UnsupportedException($"this processor does not support the {chosen} int8 kernels");
        int resolved = CpuParallel.Resolve(threads);
        var source = program.Steps;
        // How many times each value is read: a lookup read only by a Mul by its own input is folded into it.
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in source.SelectMany(s => s.Inputs).Concat(program.Outputs).Concat(program.IntegerOutputs.Values))
        {
            uses[name] = uses.GetValueOrDefault(name) + 1;
        }
        var folded = new Dictionary<IntegerStep, LookupStep>();
        foreach (var lookup in source.OfType<LookupStep>())
        {
            if (uses.GetValueOrDefault(lookup.Outputs[0]) != 1) continue;
            if (source.FirstOrDefault(s => s.Inputs.Contains(lookup.Outputs[0])) is { } user && Int8Lookup.IsProductWithInput(lookup, user))
            {
                folded[user] = lookup;
            }
        }
        var dropped = new HashSet<IntegerStep>(folded.Values);
        // A float Transpose read only by a quantize runs as one quantize-and-permute step.
        var permuted = new Dictionary<QuantizeStep, FloatNodeStep>();
        foreach (var transpose in source.OfType<FloatNodeStep>())
        {
            if (source.FirstOrDefault(s => s.Inputs.Contains(transpose.Outputs[0])) is QuantizeStep quantize && Int8QuantizeTranspose.Covers(transpose, quantize, uses))
            {
                permuted[quantize] = transpose;
                dropped.Add(transpose);
            }
        }
        // A convolution whose only reader is an Add of equal shapes runs the Add in its epilogue, when the Add's
        // other operand is made before the convolution (the fused step runs in the convolution's place).
        var residual = new Dictionary<ConvolutionStep, BinaryStep>();
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < source.Count; i++)
        foreach (var name in source[i].Outputs) producer[name] = i;
        for (int i = 0; i < source.Count; i++)
        {
            if (source[i] is not ConvolutionStep conv || !Int8Convolution.Covers(conv) || uses.GetValueOrDefault(conv.Outputs[0]) != 1) continue;
            if (source.FirstOrDefault(s => s.Inputs.Contains(conv.Outputs[0])) is not BinaryStep { IsMultiply: false } add || folded.ContainsKey(add)) continue;
            if (!Int8Convolution.CanFuse(conv, add)) continue;
            string other = add.Inputs[add.Inputs[0] == conv.Outputs[0] ? 1 : 0];
            if (producer.TryGetValue(other, out int made) && made >= i) continue;
            residual[conv] = add;
            dropped.Add(add);
        }
        // Covered convolutions without a fused Add, and transposed convolutions, stay reference steps until the
        // tables below are attached.
        var steps = source.Where(s => !dropped.Contains(s)).Select(step => step switch
        {
            QuantizeStep quantize when permuted.TryGetValue(quantize, out var transpose) => new Int8QuantizeTranspose(transpose, quantize, resolved),
            ConvolutionStep conv when residual.TryGetValue(conv, out var add) => new Int8Convolution(conv, add, resolved, chosen),
            ConvolutionStep conv when Int8Convolution.Covers(conv) => conv,
            TransposedConvolutionStep transposed when Int8ConvolutionTranspose.Covers(transposed) => transposed,
            BinaryStep binary when folded.TryGetValue(binary, out var lookup) => Int8Lookup.Product(lookup, binary, resolved),
            BinaryStep binary when Int8Lookup.ScalarConstant(binary, program.Constants) is { } scalar => Int8Lookup.OfScalar(binary, scalar, resolved),
            BinaryStep { FloatArithmetic: false } binary => new Int8Binary(binary, resolved),
            LookupStep lookup => Int8Lookup.Of(lookup, resolved),
            PoolStep pool when Int8MaxPool.Covers(pool) => new Int8MaxPool(pool, resolved),
            ConcatStep concat => new Int8Concat(concat),
            PoolStep pool when Int8GlobalAveragePool.Covers(pool) => new Int8GlobalAveragePool(pool, resolved),
            LayoutStep layout when Int8Resize.Covers(layout) => new Int8Resize(layout, resolved),
            LayoutStep layout when Int8Transpose.Covers(layout) => new Int8Transpose(layout),
            QuantizeStep quantize => new Int8Quantize(quantize, resolved),
            DequantizeStep dequantize => new Int8Dequantize(dequantize),
            _ => step,
        }).ToList();
        var tables = FuseTables(steps, program, resolved);
        for (int i = 0; i < steps.Count; i++)
        {
            var then = tables.GetValueOrDefault(steps[i]);
            if (steps[i] is ConvolutionStep conv && Int8Convolution.Covers(conv))
            {
                steps[i] = then is not null ? new Int8Convolution(conv, then, resolved, chosen) : new Int8Convolution(conv, resolved, chosen);
            }
            else if (steps[i] is TransposedConvolutionStep transposed && Int8ConvolutionTranspose.Covers(transposed))
            {
                steps[i] = new Int8ConvolutionTranspose(transposed, then, resolved, chosen);
            }
        }
        return new IntegerProgram(steps, program.Islands, program.Constants, program.Inputs, program.Outputs, program.IntegerOutputs);
    }

    /// <summary>Joins the table steps (<see cref="Int8Lookup"/>) whose input only they read into the step that makes
    /// it: a table after a table becomes one composed table (HardSwish, then a Mul and an Add by constants: one
    /// lookup), and the tables after a covered convolution (still its reference step in <paramref name="steps"/>)
    /// and transposed convolutions are returned, composed, to run in its epilogue. The joined steps are removed from <paramref name="steps"/>;
    /// their intermediate values are not made (nothing else read them, and they are not outputs).</summary>
    private static Dictionary<IntegerStep, Int8Lookup> FuseTables(List<IntegerStep> steps, IntegerProgram program, int threads)
    {
        var reads = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in steps.SelectMany(s => s.Inputs).Concat(program.Outputs).Concat(program.IntegerOutputs.Values))
        {
            reads[name] = reads.GetValueOrDefault(name) + 1;
        }
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        var tables = new Dictionary<IntegerStep, Int8Lookup>();
        var joined = new bool[steps.Count];
        for (int i = 0; i < steps.Count; i++)
        {
            if (steps[i] is Int8Lookup lookup && reads.GetValueOrDefault(lookup.Inputs[0]) == 1 && producer.TryGetValue(lookup.Inputs[0], out int p))
            {
                if (steps[p] is Int8Lookup first)
                {
                    steps[p] = first.Then(lookup, threads);
                    joined[i] = true;
                    producer[lookup.Outputs[0]] = p;
                    continue;
                }
                if (steps[p] is ConvolutionStep or TransposedConvolutionStep && Covered(steps[p]))
                {
                    var producing = steps[p];
                    string made = tables.TryGetValue(producing, out var before) ? before.Outputs[0] : producing.Outputs[0];
                    if (made == lookup.Inputs[0])
                    {
                        tables[producing] = before is null ? lookup : before.Then(lookup, threads);
                        joined[i] = true;
                        producer[lookup.Outputs[0]] = p;
                        continue;
                    }
                }
            }
            foreach (var name in steps[i].Outputs) producer[name] = i;
        }
        int kept = 0;
        for (int i = 0; i < steps.Count; i++)
        {
            if (!joined[i]) steps[kept++] = steps[i];
        }
        steps.RemoveRange(kept, steps.Count - kept);
        return tables;
    }

    private static bool Covered(IntegerStep step) => step switch
    {
        ConvolutionStep conv => Int8Convolution.Covers(conv),
        TransposedConvolutionStep transposed => Int8ConvolutionTranspose.Covers(transposed),
        _ => false,
    };

    /// <summary>How many steps of <paramref name="program"/> run on the fast kernels.</summary>
    public static int FastSteps(IntegerProgram program) => program.Steps.Count(IsFast);

    /// <summary>Whether a step is one of the fast int8 kernels.</summary>
    public static bool IsFast(IntegerStep step) => step is Int8Convolution or Int8ConvolutionTranspose or Int8Binary or Int8Lookup or Int8MaxPool or Int8Concat
        or Int8GlobalAveragePool or Int8Resize or Int8Quantize or Int8Dequantize or Int8QuantizeTranspose or Int8Transpose;
}

/// <summary>A fast step's output array, kept from one run to the next (a new one only when the size changes):
/// the integer program allocates no activation per steady-state run, which kept the garbage collector busy
/// (activations above 85 KB go to the large-object heap, whose budget triggers full collections).</summary>
internal sealed class ReusedBuffer<T>
{
    private T[]? _array;

    private Core.Tensor? _tensor;

    public T[] Get(long length) => _array is { } a && a.Length == length ? a : _array = new T[length];

    /// <summary>A tensor of <paramref name="shape"/> over <paramref name="array"/> (the array <see cref="Get"/> gave): the
    /// last run's tensor when array and shape are the same, so a steady-state run allocates no tensor either.</summary>
    public Core.Tensor Wrap(ReadOnlySpan<int> shape, T[] array)
    {
        if (_tensor is { } t && ReferenceEquals(t.Data, array) && t.Shape.AsSpan().SequenceEqual(shape)) return t;
        return _tensor = Core.Tensor.Create(shape.ToArray(), array);
    }
}
