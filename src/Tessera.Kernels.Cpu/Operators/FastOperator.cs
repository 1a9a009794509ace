using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
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
        using var serial = CpuParallel.Serial(RunsSerially(context));
        if (TryExecute(context)) return;
        if (HasHalfInput(context) && TryExecuteInSingle(context)) return;
        Reference.Execute(context);
    }

    /// <summary>Whether the node runs on one thread: by default when its inputs (weights included) hold fewer
    /// than <see cref="CpuKernelOptions.SerialBelowElements"/> elements. A kernel whose work grows with its
    /// output rather than its inputs (Resize) decides itself.</summary>
    protected virtual bool RunsSerially(KernelContext context) => IsSmall(context, Options.SerialBelowElements);

    /// <summary>For kernels whose work is multiply-adds (convolution, MatMul): serial only when the inputs are small
    /// and the node does fewer than <see cref="CpuKernelOptions.SerialBelowMacs"/> of them. A 3x3 convolution on a
    /// 27x27 map has few input elements but tens of millions of multiply-adds, far more than a fork-join costs.</summary>
    protected bool RunsSeriallyForMacs(KernelContext context, long macs) =>
        IsSmall(context, Options.SerialBelowElements) && macs < Options.SerialBelowMacs;

    private static bool IsSmall(KernelContext context, int threshold)
    {
        long elements = 0;
        for (int i = 0; i < context.InputCount; i++)
        {
            if (context.InputValue(i) is Tensor t) elements += t.Length;
        }
        return elements < threshold;
    }

    /// <summary>Float32 copies of constant float16 inputs (weights), converted once per initializer.</summary>
    private static readonly ConditionalWeakTable<Tensor, Tensor> SingleConstants = new();

    private static bool HasHalfInput(KernelContext context)
    {
        for (int i = 0; i < context.InputCount; i++)
        {
            if (context.InputValue(i) is Tensor { DataType: DataType.Float16 }) return true;
        }
        return false;
    }

    /// <summary>A float16 node on the float32 kernel: float16 inputs widened (exactly), the kernel run in
    /// float32, float32 outputs rounded to float16 (to nearest even), so every node still rounds its result to
    /// the model's type as the reference does; only the accumulation differs (float32 here, double in the
    /// reference). Constant inputs are widened once and kept, so packed weights are packed once too.</summary>
    private bool TryExecuteInSingle(KernelContext context)
    {
        var inputs = new DataValue?[context.InputCount];
        for (int i = 0; i < inputs.Length; i++)
        {
            var value = context.InputValue(i);
            bool constant = i < context.Node.Inputs.Count && context.Node.Inputs[i]?.Constant is not null;
            inputs[i] = value is Tensor { DataType: DataType.Float16 } half
                ? constant ? SingleConstants.GetValue(half, ToSingle) : ToSingle(half)
                : value;
        }
        var inner = new KernelContext(context.Node, context.Opset, inputs, context.Subgraphs);
        if (!TryExecute(inner)) return false;
        for (int i = 0; i < inner.OutputCount; i++)
        {
            var output = inner.Outputs[i];
            if (output is null) continue;
            context.SetOutput(i, output is Tensor { DataType: DataType.Float32 } single ? ToHalf(single) : output);
        }
        return true;
    }

    private static Tensor ToSingle(Tensor half)
    {
        var result = new float[half.Length];
        TensorPrimitives.ConvertToSingle(half.As<Half>(), result);
        return Tensor.Create(half.Shape.ToArray(), result);
    }

    private static Tensor ToHalf(Tensor single)
    {
        var result = new Half[single.Length];
        TensorPrimitives.ConvertToHalf(single.As<float>(), result);
        return Tensor.Create(single.Shape.ToArray(), result);
    }

    private readonly ConditionalWeakTable<Node, Tensor?[]> _outputs = new();

    /// <summary>A float32 output tensor of <paramref name="shape"/> over <paramref name="data"/>: the node's tensor from its
    /// last run when it wraps the same array with the same shape (the arena hands a node the same array run after run),
    /// else a new one, so a steady-state run allocates no output tensor.</summary>
    protected Tensor OutputTensor(KernelContext context, int output, ReadOnlySpan<int> shape, float[] data)
    {
        if (!_outputs.TryGetValue(context.Node, out var kept))
        {
            kept = new Tensor?[Math.Max(1, context.OutputCount)];
            _outputs.AddOrUpdate(context.Node, kept);
        }
        if (output < kept.Length && kept[output] is { } tensor && ReferenceEquals(tensor.Data, data) && tensor.Shape.AsSpan().SequenceEqual(shape)) return tensor;
        tensor = Tensor.Create(shape.ToArray(), data);
        if (output < kept.Length) kept[output] = tensor;
        return tensor;
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

    public T Get(Tensor weights, Func<Tensor, T> pack) => _entries.TryGetValue(weights, out var packed) ? packed : _entries.GetValue(weights, w => pack(w));

    /// <summary>The packed form made earlier, if any (no delegate needed: a caller that tries this first allocates nothing
    /// once its weights are packed).</summary>
    public bool TryGet(Tensor weights, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T packed) => _entries.TryGetValue(weights, out packed);
}

/// <summary>Settings shared by the cpu backend's kernels.</summary>
public sealed record CpuKernelOptions(int Threads, Gemm.GemmShape Shape)
{
    /// <summary>Nodes with fewer input elements run on the calling thread (tests set 0 to run every node's
    /// parallel path).</summary>
    public int SerialBelowElements { get; init; } = CpuParallel.SerialBelowElements;

    /// <summary>Convolutions and matrix products with at least this many multiply-adds run in parallel even when
    /// their inputs are small (64 per element of <see cref="SerialBelowElements"/>: 16M by default, about 0.3 ms
    /// on one core, so a fork-join on shared cores still pays; 0 when the tests set 0). At 4M BlazeFace front's
    /// stem (7M) went parallel and front at 2 threads doubled under load 18.</summary>
    public long SerialBelowMacs => 64L * SerialBelowElements;

    public int ThreadCount => CpuParallel.Resolve(Threads);
}
