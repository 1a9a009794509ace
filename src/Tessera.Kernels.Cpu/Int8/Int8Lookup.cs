using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>An int8 elementwise function of one operand as a 256-entry table: the fast form of a
/// <see cref="LookupStep"/>, and of a lookup whose only use is a fixed-point Mul by its own input (HardSwish,
/// lowered as x * HardSigmoid(x): the pair becomes one table, the lookup's value is never made). Bit for bit the
/// reference steps: the table holds their results on each of the 256 inputs. A fixed-point Add or Mul by a constant of one
/// value is a table too (<see cref="OfScalar"/>), and a chain of tables, each read only by the next, is one
/// (<see cref="Then"/>).</summary>
public sealed class Int8Lookup(string name, string kind, string input, string output, sbyte[] row, bool unsigned, int threads, bool atLeastRankOne = false)
    : IntegerStep(name, [input], [output])
{
    private readonly ReusedBuffer<sbyte> _output = new();
    private readonly byte[] _deltas = ByteTable.Deltas(row);
    private int[]? _rankOneShape;

    public override string Kind => kind;

    /// <summary>The results indexed by the input's byte ((byte)x).</summary>
    public sbyte[] Row { get; } = row.Length == 256 ? row : throw new ArgumentException("a row has 256 entries", nameof(row));

    /// <summary>Whether the table's value is stored as uint8 (shifted), as the last step it stands for said.</summary>
    public bool Unsigned => unsigned;

    /// <summary>Whether a rank-0 input gives a [1] output: the table includes an Add or Mul by a [1] constant, which
    /// broadcasts a scalar to rank 1.</summary>
    public bool AtLeastRankOne => atLeastRankOne;

    /// <summary>The fast form of a fixed-point Add or Mul whose operand <paramref name="scalar"/> is a constant of
    /// one value (<see cref="ScalarConstant"/>): a function of the other operand alone, one table.</summary>
    public static Int8Lookup OfScalar(BinaryStep step, (string Name, sbyte Value, bool RankOne) scalar, int threads)
    {
        if (step.FloatArithmetic || step.OnnxRuntime) throw new ArgumentException("only fixed-point Add and Mul have a table form", nameof(step));
        var (constantName, constant, rankOne) = scalar;
        bool constantLeft = step.Inputs[0] == constantName;
        if (!constantLeft && step.Inputs[1] != constantName) throw new ArgumentException($"'{constantName}' is not an operand of {step.Name}", nameof(scalar));
        var p = step.FixedPointParameters;
        var row = new sbyte[256];
        for (int v = -128; v < 128; v++)
        {
            int a = constantLeft ? constant : v, b = constantLeft ? v : constant;
            row[(byte)v] = step.IsMultiply ? FixedPoint.Multiply(a, b, p) : FixedPoint.Add(a, b, p);
        }
        return new Int8Lookup(step.Name, step.Kind, step.Inputs[constantLeft ? 1 : 0], step.Outputs[0], row, step.Unsigned, threads, atLeastRankOne: rankOne);
    }

    /// <summary>When <paramref name="step"/> is a fixed-point Add or Mul of two different values, one of them a constant
    /// of <paramref name="constants"/> holding one int8 or uint8 value in a tensor of rank 0 or 1 (so the result has the
    /// other operand's shape, or [1] for a scalar), that operand's name and value as the executor stores it (uint8
    /// shifted by -128), and whether its rank is 1.</summary>
    public static (string Name, sbyte Value, bool RankOne)? ScalarConstant(BinaryStep step, IReadOnlyDictionary<string, Tensor> constants)
    {
        if (step.FloatArithmetic || step.OnnxRuntime || step.Inputs[0] == step.Inputs[1]) return null;
        for (int side = 0; side < 2; side++)
        {
            string name = step.Inputs[side];
            if (constants.ContainsKey(step.Inputs[1 - side])) continue;
            if (!constants.TryGetValue(name, out var t) || t.Rank > 1 || t.Length != 1) continue;
            if (t.DataType == DataType.Int8) return (name, t.As<sbyte>()[0], t.Rank == 1);
            if (t.DataType == DataType.UInt8) return (name, (sbyte)(t.As<byte>()[0] - 128), t.Rank == 1);
        }
        return null;
    }

    /// <summary>This table followed by <paramref name="next"/> (which reads this table's output) as one table, from
    /// this table's input to the other's output.</summary>
    public Int8Lookup Then(Int8Lookup next, int threads)
    {
        if (next.Inputs[0] != Outputs[0]) throw new ArgumentException($"{next.Name} does not read {Outputs[0]}", nameof(next));
        return new Int8Lookup(Name, Kind + "+" + Suffix(next.Kind), Inputs[0], next.Outputs[0], Compose(Row, next.Row), next.Unsigned, threads, AtLeastRankOne || next.AtLeastRankOne);
    }

    /// <summary>The table x -> second[(byte)first[(byte)x]].</summary>
    public static sbyte[] Compose(sbyte[] first, sbyte[] second)
    {
        var row = new sbyte[256];
        for (int v = 0; v < 256; v++) row[v] = second[(byte)first[v]];
        return row;
    }

    /// <summary>A kind without its "int." prefix, for a composed kind ("int.Mul(HardSigmoid)+Mul+Add").</summary>
    internal static string Suffix(string kind) => kind.StartsWith("int.", StringComparison.Ordinal) ? kind[4..] : kind;

    /// <summary>The fast form of <paramref name="lookup"/>.</summary>
    public static Int8Lookup Of(LookupStep lookup, int threads)
    {
        var row = new sbyte[256];
        for (int v = -128; v < 128; v++) row[(byte)v] = lookup.Table[v + 128];
        return new Int8Lookup(lookup.Name, lookup.Kind, lookup.Inputs[0], lookup.Outputs[0], row, lookup.Unsigned, threads);
    }

    /// <summary>Whether <paramref name="multiply"/> multiplies the output of <paramref name="lookup"/> by the lookup's
    /// own input in fixed-point arithmetic (so the pair is one function of that input).</summary>
    public static bool IsProductWithInput(LookupStep lookup, IntegerStep multiply) =>
        multiply is BinaryStep { IsMultiply: true, FloatArithmetic: false } mul
        && ((mul.Inputs[0] == lookup.Outputs[0] && mul.Inputs[1] == lookup.Inputs[0])
            || (mul.Inputs[1] == lookup.Outputs[0] && mul.Inputs[0] == lookup.Inputs[0]));

    /// <summary>The lookup and the Mul by its input as one table (see <see cref="IsProductWithInput"/>).</summary>
    public static Int8Lookup Product(LookupStep lookup, BinaryStep multiply, int threads)
    {
        if (!IsProductWithInput(lookup, multiply)) throw new ArgumentException("the Mul does not multiply the lookup by its input", nameof(multiply));
        var p = multiply.FixedPointParameters;
        bool lookupLeft = multiply.Inputs[0] == lookup.Outputs[0];
        var row = new sbyte[256];
        for (int v = -128; v < 128; v++)
        {
            int f = lookup.Table[v + 128];
            row[(byte)v] = lookupLeft ? FixedPoint.Multiply(f, v, p) : FixedPoint.Multiply(v, f, p);
        }
        return new Int8Lookup(multiply.Name, $"int.Mul({lookup.Function})", lookup.Inputs[0], multiply.Outputs[0], row, multiply.Unsigned, threads);
    }

    public override string Parameters => "cpu";

    /// <summary>The table on <paramref name="values"/>, in place (a convolution's output row it was fused into).</summary>
    internal void Apply(Span<sbyte> values) => ByteTable.Unary(values, Row, _deltas, values);

    public override void Execute(IntegerState state)
    {
        var x = state.Int8(Inputs[0]);
        var source = x.As<sbyte>();
        int total = source.Length;
        var y = _output.Get(total);
        int workers = total < (1 << 18) ? 1 : threads;
        int chunks = Math.Max(1, Math.Min(workers * 4, total / 16384));
        var row = Row;
        CpuParallel.For(chunks, workers, (int chunk) =>
        {
            int start = (int)((long)total * chunk / chunks) & ~63, end = chunk == chunks - 1 ? total : (int)((long)total * (chunk + 1) / chunks) & ~63;
            ByteTable.Unary(source.AsSpan(start, end - start), row, _deltas, y.AsSpan(start, end - start));
        });
        int[] shape = x.Rank == 0 && atLeastRankOne ? _rankOneShape ??= [1] : x.Shape;
        state.SetInt8(Outputs[0], _output.Wrap(shape, y), unsigned);
    }
}
