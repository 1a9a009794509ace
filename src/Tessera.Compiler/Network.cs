using Tessera.Compiler.Layers;
using Tessera.Core;

namespace Tessera.Compiler;

/// <summary>A quantized network as the compiler sees it: graph inputs, layers in execution order (each reads
/// earlier tensors), and the tensors the caller wants back.</summary>
public sealed class Network
{
    public List<NpuTensor> Inputs { get; } = [];

    public List<Layer> Layers { get; } = [];

    public List<string> Outputs { get; } = [];

    /// <summary>Checks every layer and that each reads a tensor that exists by then.</summary>
    public void Validate()
    {
        var known = Inputs.Select(t => t.Name).ToHashSet();
        foreach (var layer in Layers)
        {
            layer.Validate();
            foreach (var input in layer.Inputs)
            {
                if (!known.Contains(input.Name)) throw new InvalidInputException($"layer '{layer.Name}' reads '{input.Name}' before it is produced", layer.Name);
            }
            if (!known.Add(layer.Output.Name)) throw new InvalidInputException($"tensor '{layer.Output.Name}' is produced twice", layer.Name);
        }
        foreach (var output in Outputs)
        {
            if (!known.Contains(output)) throw new InvalidInputException($"network output '{output}' is never produced");
        }
    }
}
