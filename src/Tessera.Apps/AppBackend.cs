using Tessera.Core;
using Tessera.Kernels.Cpu;
using Tessera.Models;
using Tessera.Onnx;
using Tessera.Passes;
using Tessera.Runtime;

namespace Tessera.Apps;

/// <summary>Opens the models an application needs on the backend the user asked for: the reference kernels
/// (the specification), the fast cpu kernels, or the simulated NPU (the model quantized with the application's
/// calibration and run by the hybrid runner, <see cref="NpuAppModel"/>).</summary>
public static class AppBackend
{
    public const string Reference = "reference";

    public const string Npu = "npu";

    public static readonly IReadOnlyList<string> Names = [Reference, CpuBackend.Name, Npu];

    public static void Check(string backend)
    {
        if (Names.Contains(backend)) return;
        throw new InvalidInputException($"unknown backend '{backend}'", "--backend", $"choose one of: {string.Join(", ", Names)}");
    }

    /// <summary>The NPU target of an application on the npu backend (null on the others).</summary>
    public static NpuTarget? CheckNpu(string backend, NpuTarget? npu)
    {
        Check(backend);
        if (backend != Npu) return null;
        return npu ?? throw new InvalidInputException("the npu backend needs an NPU configuration and calibration data", "--backend npu",
            "give --npu tiny|small|large and --calibration DIR");
    }

    /// <summary>A catalog model or .onnx path on <paramref name="backend"/>; on the NPU it is quantized and
    /// compiled by <paramref name="toNpu"/> (each application calibrates with its own preprocessing).</summary>
    public static AppModel Open(string nameOrPath, string backend, NpuTarget? npu, Func<Model, NpuTarget, AppModel> toNpu) =>
        Open(OnnxImporter.Load(ResolveModel(nameOrPath)), backend, npu, toNpu);

    public static AppModel Open(Model model, string backend, NpuTarget? npu, Func<Model, NpuTarget, AppModel> toNpu) =>
        CheckNpu(backend, npu) is { } target ? toNpu(model, target) : new SessionAppModel(Session(model, backend));

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

    /// <summary>The images of the calibration folder, in name order, at most <see cref="NpuTarget.MaxSamples"/>.</summary>
    public static IEnumerable<(string File, Media.RgbImage Image)> CalibrationImages(NpuTarget target)
    {
        if (!Directory.Exists(target.CalibrationFolder))
        {
            throw new InvalidInputException("calibration folder not found", target.CalibrationFolder, "give --calibration a folder of images");
        }
        var files = Directory.EnumerateFiles(target.CalibrationFolder)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".bmp")
            .Order(StringComparer.Ordinal).Take(target.MaxSamples).ToList();
        if (files.Count == 0) throw new InvalidInputException("no image (.png, .jpg, .bmp) in the calibration folder", target.CalibrationFolder, "add a few images like the ones the application reads");
        foreach (var file in files) yield return (file, Media.RgbImage.Load(file));
    }

    /// <summary>A session for an already imported model. On cpu the graph is optimized first (batch norms
    /// folded, activations fused into convolutions), the form the fast kernels and `tessera bench` run;
    /// no input shape is bound because the apps feed several sizes (OCR crops of any width).</summary>
    public static InferenceSession Session(Model model, string backend)
    {
        Check(backend);
        if (backend == Npu) throw new UnsupportedException("this application does not run on the npu backend yet", "--backend", "use --backend cpu or reference");
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
