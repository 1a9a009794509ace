using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;

namespace Tessera.Kernels.Cpu.Int8;

/// <summary>An int8 elementwise function of one operand as a 256-entry table: the fast form of a
/// <see cref="LookupStep"/>, and of a lookup whose only use is a fixed-point Mul by its own input (HardSwish,
/// lowered as x * HardSigmoid(x): the pair becomes one table, the lookup's value is never made). Bit for bit the
/// reference steps: the table holds their results on each of the 256 inputs.</summary>
public sealed class Int8Lookup(string name, string kind, string input, string output, sbyte[] row, bool unsigned, int threads)
    : IntegerStep(name, [input], [output])
{
    private readonly ReusedBuffer<sbyte> _output = new();

    public override string Kind => kind;

    /// <summary>The results indexed by the input's byte ((byte)x).</summary>
    public sbyte[] Row { get; } = row.Length == 256 ? row : throw new ArgumentException("a row has 256 entries", nameof(row));

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
            ByteTable.Unary(source.AsSpan(start, end - start), row, y.AsSpan(start, end - start));
        });
        state.SetInt8(Outputs[0], _output.Wrap(x.Shape, y), unsigned);
    }
}
