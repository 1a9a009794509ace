using System.Globalization;
using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Onnx;

/// <summary>Reads tensor bytes stored beside the model (ONNX external data). Paths must be relative and
/// resolve inside the model's folder; offsets and lengths are checked against the file.</summary>
internal static class ExternalData
{
    public static byte[] Read(TensorProto proto, string? root, string where)
    {
        if (root is null)
        {
            throw new ModelFormatException("uses external data, which is not allowed here", where, "load the model from a file on disk");
        }
        string? location = null;
        long offset = 0;
        long length = -1;
        foreach (var entry in proto.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseNumber(entry.Value, "offset", where); break;
                case "length": length = ParseNumber(entry.Value, "length", where); break;
            }
        }
        if (string.IsNullOrEmpty(location)) throw new ModelFormatException("external data has no location", where);
        if (Path.IsPathRooted(location) || location.Contains('\0'))
        {
            throw new ModelFormatException($"external data path '{location}' must be relative to the model's folder", where);
        }
        var rootFull = Path.GetFullPath(root);
        var full = Path.GetFullPath(Path.Combine(rootFull, location));
        var rootWithSeparator = rootFull.EndsWith(Path.DirectorySeparatorChar) ? rootFull : rootFull + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new ModelFormatException($"external data path '{location}' points outside the model's folder", where, "keep external data files next to the model");
        }
        if (!File.Exists(full)) throw new ModelFormatException($"external data file '{location}' does not exist", where, "copy the data file next to the model");
        var info = new FileInfo(full);
        if (length < 0) length = info.Length - offset;
        if (offset < 0 || length < 0 || offset + length > info.Length || length > int.MaxValue)
        {
            throw new ModelFormatException($"external data range {offset}+{length} lies outside '{location}' ({info.Length} bytes)", where);
        }
        var buffer = new byte[length];
        using var stream = File.OpenRead(full);
        stream.Seek(offset, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static long ParseNumber(string text, string key, string where) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ModelFormatException($"external data {key} '{text}' is not a number", where);
}
