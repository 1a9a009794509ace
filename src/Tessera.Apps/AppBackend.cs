using Tessera.Core;
using Tessera.Models;
using Tessera.Onnx;
using Tessera.Runtime;

namespace Tessera.Apps;

/// <summary>Opens the models an application needs on the backend the user asked for. Only the reference
/// backend exists today; the fast CPU backend and the NPU backend are named so a user gets a clear
/// "not available yet" instead of a silent fallback.</summary>
public static class AppBackend
{
    public static readonly IReadOnlyList<string> Names = ["reference", "cpu", "npu"];

    public static void Check(string backend)
    {
        if (backend == "reference") return;
        if (Names.Contains(backend))
        {
            throw new UnsupportedException($"backend '{backend}' is not available yet for applications", "--backend",
                "use --backend reference (the cpu backend comes with the fast kernels, npu with the compiler)");
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

    public static InferenceSession Open(string nameOrPath, string backend) => Open(OnnxImporter.Load(ResolveModel(nameOrPath)), backend);

    public static InferenceSession Open(Model model, string backend)
    {
        Check(backend);
        return new InferenceSession(model, new SessionOptions { Backend = backend });
    }

    public static Tensor Output(IReadOnlyDictionary<string, DataValue> outputs, string name) =>
        outputs.TryGetValue(name, out var value) && value is Tensor tensor
            ? tensor
            : throw new ModelFormatException($"the model gave no tensor output named '{name}'", "outputs", "use the catalog model this application expects");
}
