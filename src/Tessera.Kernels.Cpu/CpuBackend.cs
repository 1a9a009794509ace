using Tessera.Kernels.Cpu.Gemm;
using Tessera.Kernels.Cpu.Operators;
using Tessera.Ops;
using Tessera.Runtime;

namespace Tessera.Kernels.Cpu;

/// <summary>The "cpu" backend: the reference operators with the hot ones replaced by fast kernels (each
/// falls back to its reference kernel for cases it does not cover, so every model still runs).</summary>
public static class CpuBackend
{
    public const string Name = "cpu";

    /// <summary>Makes "cpu" available to <see cref="SessionOptions.Backend"/> (call once at start-up).</summary>
    public static void Register() => Backends.Register(Name, options => CreateOperators(options.Threads, options.Operators ?? OperatorRegistry.Default));

    public static OperatorRegistry CreateOperators(int threads, OperatorRegistry? fallback = null, GemmShape? shape = null, int? serialBelowElements = null)
    {
        fallback ??= OperatorRegistry.Default;
        var options = new CpuKernelOptions(threads, shape ?? GemmShape.Best) { SerialBelowElements = serialBelowElements ?? CpuParallel.SerialBelowElements };
        var fast = new Dictionary<(string Domain, string OpType), Func<Operator, Operator>>
        {
            [("", "Conv")] = r => new FastConvolution(r, options),
            [("tessera", "FusedConv")] = r => new FastConvolution(r, options),
            [("", "MatMul")] = r => new FastMatrixMultiply(r, options),
            [("", "Gemm")] = r => new FastMatrixMultiply(r, options),
            [("tessera", "FusedGemm")] = r => new FastMatrixMultiply(r, options),
            [("tessera", "FusedMatMul")] = r => new FastMatrixMultiply(r, options),
            [("", "Transpose")] = r => new FastTranspose(r, options),
            [("", "Add")] = r => new FastBinary(r, options),
            [("", "Sub")] = r => new FastBinary(r, options),
            [("", "Mul")] = r => new FastBinary(r, options),
            [("", "Div")] = r => new FastBinary(r, options),
            [("", "Relu")] = r => new FastUnary(r, options),
            [("", "Sigmoid")] = r => new FastUnary(r, options),
            [("", "Tanh")] = r => new FastUnary(r, options),
            [("", "LeakyRelu")] = r => new FastUnary(r, options),
            [("", "HardSigmoid")] = r => new FastUnary(r, options),
            [("", "HardSwish")] = r => new FastUnary(r, options),
            [("tessera", "Silu")] = r => new FastUnary(r, options),
            [("tessera", "HardSwish")] = r => new FastUnary(r, options),
            [("", "MaxPool")] = r => new FastPooling(r, options),
            [("", "AveragePool")] = r => new FastPooling(r, options),
            [("", "GlobalAveragePool")] = r => new FastGlobalPooling(r, options),
            [("", "GlobalMaxPool")] = r => new FastGlobalPooling(r, options),
            [("", "Concat")] = r => new FastConcat(r, options),
            [("", "ConvTranspose")] = r => new FastConvolutionTranspose(r, options),
            [("tessera", "FusedConvTranspose")] = r => new FastConvolutionTranspose(r, options),
            [("", "Softmax")] = r => new FastSoftmax(r, options),
            [("", "LogSoftmax")] = r => new FastSoftmax(r, options),
            [("", "LSTM")] = r => new FastLstm(r, options),
            [("", "Slice")] = r => new FastSlice(r, options),
            [("", "Pow")] = r => new FastPow(r, options),
            [("", "Resize")] = r => new FastResize(r, options),
            [("", "Upsample")] = r => new FastResize(r, options),
            [("", "Cast")] = r => new FastCast(r, options),
            [("", "ConstantOfShape")] = r => new FastConstantOfShape(r, options),
        };
        var registry = new OperatorRegistry();
        foreach (var (domain, opType) in fallback.Keys)
        {
            fallback.TryGet(domain, opType, out var reference);
            registry.Register(domain, opType, fast.TryGetValue((domain, opType), out var create) ? create(reference) : reference);
        }
        return registry;
    }
}
