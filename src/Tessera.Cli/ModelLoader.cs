using Tessera.Core;
using Tessera.Models;
using Tessera.Onnx;
using Tessera.TFLite;

namespace Tessera.Cli;

/// <summary>Resolves a MODEL argument: a path to an .onnx or .tflite file, or the name of a catalog model
/// (fetched into the cache on first use).</summary>
internal static class ModelLoader
{
    public static string Resolve(string argument)
    {
        if (File.Exists(argument) || Directory.Exists(argument)) return argument;
        var entry = ModelCatalog.Entries.FirstOrDefault(e => string.Equals(e.Name, argument, StringComparison.OrdinalIgnoreCase));
        return entry is null ? argument : ModelStore.Default.Get(entry);
    }

    public static Model Load(string argument) => LoadFile(Resolve(argument));

    /// <summary>Picks the importer by extension: .tflite files are FlatBuffers, everything else ONNX.</summary>
    public static Model LoadFile(string path) =>
        path.EndsWith(".tflite", StringComparison.OrdinalIgnoreCase) ? TfLiteImporter.Load(path) : OnnxImporter.Load(path);
}
