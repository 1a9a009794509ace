using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Npu;
using Tessera.Onnx;
using Tessera.Rtl.Simulation;

namespace Tessera.Cli;

/// <summary>`tessera rtl cosim --model`: the gemm tiles of a real model, compiled for the NPU as `tessera compile`
/// does (an int8 .tflite, a quantized .onnx, or a .tnpu package from `tessera compile`), run on the simulator
/// with given or seeded random inputs.</summary>
internal static class RtlModelTiles
{
    /// <summary>Partitions and compiles the model for <paramref name="spec"/> (a .tnpu package brings its own
    /// configuration; <paramref name="explicitSpec"/> says whether --npu was given, which must then agree).</summary>
    public static (ModelPartition Partition, ProgramTiles Tiles) Load(string path, NpuSpec spec, bool explicitSpec, string[] inputSpecs, int seed)
    {
        ModelPartition partition;
        Model model;
        if (path.EndsWith(".tnpu", StringComparison.OrdinalIgnoreCase))
        {
            var package = NpuPackageFile.Read(path);
            partition = package.Partition;
            if (explicitSpec && partition.Spec.Hash != spec.Hash)
            {
                throw new InvalidInputException($"the package is compiled for '{partition.Spec.Name}', not '{spec.Name}'", path, $"drop --npu or compile the model again with --npu {spec.Name}");
            }
            model = OnnxImporter.Load(package.ModelBytes, path);
        }
        else
        {
            model = ModelLoader.Load(path);
            bool quantized = model.Graph.Nodes.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv" or "QLinearMatMul" or "ConvInteger" or "MatMulInteger");
            if (!quantized) throw new InvalidInputException("the model is not quantized (no QuantizeLinear/DequantizeLinear)", path, "give an int8 model, or compile it first with `tessera compile --calibration DIR` and pass the .tnpu");
            var program = IntegerLowering.Lower(model);
            var given = Given(model, inputSpecs);
            var inputs = ModelTiles.CompleteInputs(Declared(model), given, seed);
            partition = Partitioner.Partition(program, ProgramValues.Probe(program, inputs), spec);
            return (partition, ModelTiles.FromPartition(partition, inputs));
        }
        var feeds = ModelTiles.CompleteInputs(Declared(model, partition), Given(model, inputSpecs), seed);
        return (partition, ModelTiles.FromPartition(partition, feeds));
    }

    private static Dictionary<string, Tensor> Given(Model model, string[] specs) =>
        RunCommand.ReadInputs(model, specs).ToDictionary(p => p.Key, p => p.Value as Tensor ?? throw new InvalidInputException($"'{p.Key}' is not a tensor", "--input"), StringComparer.Ordinal);

    /// <summary>The model's inputs with their declared shape and element type (a dynamic shape needs --input or
    /// the package's compiled shape).</summary>
    private static IEnumerable<(string, int[], DataType)> Declared(Model model, ModelPartition? partition = null) =>
        model.Graph.Inputs.Where(v => v.Constant is null && !model.Graph.Initializers.ContainsKey(v.Name)).Select(v => (v.Name,
            partition is not null && partition.Values.Has(v.Name) ? partition.Values.Shape(v.Name)
                : v.TensorType?.Shape?.ToConcrete() ?? throw new InvalidInputException($"input '{v.Name}' has the dynamic shape {v.TensorType?.Shape}", "--input", "give its values with --input NAME=FILE.npy"),
            v.TensorType?.ElementType ?? DataType.Float32));
}
