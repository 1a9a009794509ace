using Tessera.Core;
using Tessera.Kernels.Cpu;
using Tessera.Models;
using Tessera.Onnx;
using Tessera.Passes;
using Tessera.Runtime;

namespace Tessera.Apps;

/// <summary>Opens the models an application needs on the backend the user asked for: the reference kernels
/// (the specification) or the fast cpu kernels. The NPU backend is named so a user gets a clear "not available
/// yet" instead of a silent fallback until the integer-graph adapter connects the compiler.</summary>
public static class AppBackend
{
    public const string Reference = "reference";

    public static readonly IReadOnlyList<string> Names = [Reference, CpuBackend.Name, "npu"];

    public static void Check(string backend)
    {
        if (backend == Reference || backend == CpuBackend.Name) return;
        if (Names.Contains(backend))
        {
            throw new UnsupportedException($"backend '{backend}' is not available yet for applications", "--backend",
                "use --backend cpu or reference (npu comes with the compiler's integer-graph adapter)");
        }
        throw new InvalidInputException($"unknown backend '{backend}'", "--backend", $"choose one of: {string.Join(", ", Names)}");
    }

    /// <summary>A model given as a catalog name (fetched on first use) or as a path to an .onnx file.</summary>
    public static string ResolveModel(string nameOrPath)
    {
        if (File.Exists(nameOrPath)) return nameOrPath;
        var entry = ModelCatalog.Entries.FirstOrDefault(e => string.Equals(e.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (entry is null)
        {
            throw new InvalidInputException($"model '{nameOrPath}' is neither a file nor a catalog name", "--model",
                $"give an .onnx path or one of: {string.Join(", ", ModelCatalog.Entries.Select(e => e.Name))}");
        }
        return ModelStore.Default.Get(entry);
    }

    public static InferenceSession Open(string nameOrPath, string backend) => Session(OnnxImporter.Load(ResolveModel(nameOrPath)), backend);

    /// <summary>A session for an already imported model. On cpu the graph is optimized first (batch norms
    /// folded, activations fused into convolutions), the form the fast kernels and `tessera bench` run;
    /// no input shape is bound because the apps feed several sizes (OCR crops of any width).</summary>
    public static InferenceSession Session(Model model, string backend)
    {
        Check(backend);
        if (backend == CpuBackend.Name)
        {
            CpuBackend.Register();
            GraphOptimizer.Optimize(model, new OptimizationOptions());
        }
        return new InferenceSession(model, new SessionOptions { Backend = backend });
    }

    public static Tensor Output(IReadOnlyDictionary<string, DataValue> outputs, string name) =>
        outputs.TryGetValue(name, out var value) && value is Tensor tensor
            ? tensor
            : throw new ModelFormatException($"the model gave no tensor output named '{name}'", "outputs", "use the catalog model this application expects");
}
