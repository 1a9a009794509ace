using System.Runtime.CompilerServices;
using Tessera.Core;
using Tessera.Ops;
using Tessera.Runtime;

namespace Tessera.Kernels.Cpu.Operators;

/// <summary>A fast kernel for the common cases of one operator, falling back to the reference kernel
/// (the specification) for everything else: other element types, attributes or layouts it does not
/// handle. Type rules and costs are the reference operator's.</summary>
public abstract class FastOperator(Operator reference, CpuKernelOptions options) : Operator, IPreparedOperator
{
    protected Operator Reference { get; } = reference;

    protected CpuKernelOptions Options { get; } = options;

    public override void InferTypes(InferenceContext context) => Reference.InferTypes(context);

    public override long Macs(CostContext context) => Reference.Macs(context);

    public override void Execute(KernelContext context)
    {
        if (!TryExecute(context)) Reference.Execute(context);
    }

    /// <summary>Runs the fast kernel, or returns false (having set nothing) to hand the node to the reference.</summary>
    protected abstract bool TryExecute(KernelContext context);

    public virtual void Prepare(Node node)
    {
    }
}

/// <summary>Packed forms of constant weight tensors, keyed by the tensor object (initializers live as
/// long as the model; a dynamic weight gets a fresh entry that dies with its tensor).</summary>
public sealed class WeightCache<T>
    where T : class
{
    private readonly ConditionalWeakTable<Tensor, T> _entries = new();

    public T Get(Tensor weights, Func<Tensor, T> pack) => _entries.GetValue(weights, w => pack(w));
}

/// <summary>Settings shared by the cpu backend's kernels.</summary>
public sealed record CpuKernelOptions(int Threads, Gemm.GemmShape Shape)
{
    public int ThreadCount => CpuParallel.Resolve(Threads);
}
