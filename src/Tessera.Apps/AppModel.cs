using Tessera.Core;
using Tessera.Runtime;

namespace Tessera.Apps;

/// <summary>One model of an application, as the application calls it: named inputs in, named outputs out.
/// Behind it is an inference session (reference or cpu kernels) or, for the NPU backend, the quantized
/// model partitioned between the simulated NPU and the integer executor (<see cref="NpuAppModel"/>).</summary>
public abstract class AppModel
{
    /// <summary>Inputs the caller feeds (graph inputs without an initializer default).</summary>
    public abstract IReadOnlyList<Value> Inputs { get; }

    public abstract IReadOnlyList<Value> Outputs { get; }

    public abstract IReadOnlyDictionary<string, DataValue> Run(IReadOnlyDictionary<string, DataValue> inputs);
}

/// <summary>A model run by an <see cref="InferenceSession"/> on the reference or cpu backend.</summary>
public sealed class SessionAppModel(InferenceSession session) : AppModel
{
    public override IReadOnlyList<Value> Inputs => session.Inputs;

    public override IReadOnlyList<Value> Outputs => session.Outputs;

    public override IReadOnlyDictionary<string, DataValue> Run(IReadOnlyDictionary<string, DataValue> inputs) => session.Run(inputs);
}
