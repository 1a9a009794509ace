using Tessera.Core;

namespace Tessera.Ops;

/// <summary>Registers an <see cref="Operator"/> class under an ONNX op type (repeat for op families).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class OpAttribute(string opType, string domain = "") : Attribute
{
    public string OpType { get; } = opType;

    public string Domain { get; } = domain;
}

/// <summary>One operator (or a family of closely related operators): its static type rule, its
/// reference kernel (plain, obviously correct: the specification other backends are tested against)
/// and its cost. Subclasses are found by reflection through <see cref="OpAttribute"/>.</summary>
public abstract class Operator
{
    /// <summary>Reference kernel: read inputs and attributes from <paramref name="context"/>, set outputs.
    /// Throw <see cref="UnsupportedException"/> for an attribute value or type not implemented.</summary>
    public abstract void Execute(KernelContext context);

    /// <summary>Static type and shape rule. The default leaves outputs unknown; the inference engine
    /// evaluates nodes whose inputs are all constant by running <see cref="Execute"/> instead.</summary>
    public virtual void InferTypes(InferenceContext context)
    {
    }

    /// <summary>Multiply-accumulate count for one execution, given concrete input and output shapes.</summary>
    public virtual long Macs(CostContext context) => 0;
}
