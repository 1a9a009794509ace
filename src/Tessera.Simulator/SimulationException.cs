using Tessera.Core;

namespace Tessera.Simulator;

/// <summary>A program that would corrupt state or cannot proceed: out-of-bounds access, a read of data whose
/// producer has not signalled, a token deadlock, an operand the hardware cannot take. Names the instruction
/// index and its disassembly so the user can find it in the listing.</summary>
public sealed class SimulationException(string message, int instructionIndex, string disassembly, string? hint = null)
    : TesseraException(message, $"instruction {instructionIndex} `{disassembly}`", hint)
{
    public int InstructionIndex { get; } = instructionIndex;

    public string Disassembly { get; } = disassembly;
}
