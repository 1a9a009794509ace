using Tessera.Core;
using Tessera.Ops;

namespace Tessera.Passes;

/// <summary>How <see cref="GraphOptimizer"/> runs.</summary>
public sealed record OptimizationOptions
{
    /// <summary>Concrete shapes for graph inputs (by name). Binding them makes every shape known, which
    /// lets shape-dependent rules fire; the optimized model is then specialized to these shapes.</summary>
    public IReadOnlyDictionary<string, int[]>? InputShapes { get; init; }

    /// <summary>Graph inputs fixed for deployment (by name), e.g. Silero VAD's sample rate sr = 16000. They
    /// become constants, so everything computed from them folds (an If on them is inlined).</summary>
    public IReadOnlyDictionary<string, Tensor>? ConstantInputs { get; init; }

    /// <summary>Kernels used to fold constant subgraphs; defaults to every registered reference kernel.</summary>
    public OperatorRegistry Registry { get; init; } = OperatorRegistry.Default;

    /// <summary>Folder receiving the graph after every pass (text and .onnx); null for none.
    /// Defaults to the TESSERA_DUMP environment variable.</summary>
    public string? DumpFolder { get; init; } = Environment.GetEnvironmentVariable("TESSERA_DUMP") is { Length: > 0 } d ? d : null;

    /// <summary>Keep fused activations (tessera domain ops, for Tessera's own backends). When false the
    /// result is lowered to standard ONNX ops that ONNX Runtime and Netron understand.</summary>
    public bool KeepFusedOps { get; init; } = true;

    /// <summary>Fuse Add(Conv(...), Z) into tessera.FusedConv with Z as a fourth (residual) input
    /// (<see cref="FuseResidualAddIntoConv"/>). Off by default: only Tessera's cpu backend runs that form.</summary>
    public bool FuseResidualAdd { get; init; }

    /// <summary>Run a float16 model in float32 (<see cref="WidenFloat16"/>): weights widened once, casts only at
    /// the graph inputs and outputs. Off by default: only Tessera's cpu backend asks for it.</summary>
    public bool ComputeFloat16InFloat32 { get; init; }

    /// <summary>Receives one line per applied rule and pass (for -vv).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The model is already quantized (QDQ): only clean-up, dead-code and common-subexpression passes
    /// run, and QuantizeLinear/DequantizeLinear are never folded, so int8 weights stay int8 and every
    /// quantization boundary stays where the quantizer (or the model's author) put it.</summary>
    public bool PreserveQuantization { get; init; }

    /// <summary>Largest constant, in elements, that folding may create.</summary>
    public int MaxFoldedElements { get; init; } = 1 << 22;
}
