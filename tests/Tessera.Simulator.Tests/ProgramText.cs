using System.Globalization;
using System.Text;
using Tessera.Hardware;

namespace Tessera.Simulator.Tests;

/// <summary>Small helper to write assembly in tests: lines are joined and assembled for a configuration.</summary>
internal sealed class ProgramText
{
    private readonly StringBuilder text = new();

    public ProgramText Line(FormattableString line)
    {
        text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public ProgramText Constant(string name, long address, sbyte[] values) =>
        Line($".const {name} {address} int8 {string.Join(' ', values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}");

    public ProgramText Constant(string name, long address, int[] values) =>
        Line($".const {name} {address} int32 {string.Join(' ', values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}");

    public NpuProgram Assemble(NpuSpec spec) => Assembler.Assemble(text.ToString(), "test.s", _ => spec);

    public override string ToString() => text.ToString();
}
