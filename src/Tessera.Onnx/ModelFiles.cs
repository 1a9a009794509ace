using Tessera.Core;

namespace Tessera.Onnx;

/// <summary>File access with user-facing errors.</summary>
public static class ModelFiles
{
    /// <summary>Largest model or tensor file read into memory (protobuf's own limit is 2 GiB).</summary>
    public const long MaxFileBytes = int.MaxValue;

    public static byte[] ReadAllBytes(string path, string what)
    {
        if (Directory.Exists(path)) throw new TesseraException($"{what} path is a folder, not a file", path, "give the path of the file");
        if (!File.Exists(path)) throw new TesseraException($"{what} not found", path, "check the path");
        var info = new FileInfo(path);
        if (info.Length > MaxFileBytes) throw new ModelFormatException($"{what} is larger than 2 GiB", path, "store large weights as external data");
        return File.ReadAllBytes(path);
    }
}
