using System.Globalization;
using Tessera.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tessera.Hardware;

/// <summary>Loads an <see cref="NpuSpec"/> from YAML and validates every field: a missing, mistyped,
/// unknown or out-of-range field is a <see cref="ModelFormatException"/> that names the field, the file and
/// line, and the allowed range.</summary>
public static class NpuSpecLoader
{
    /// <summary>Folder with the named configurations, found by walking up from the working folder and the
    /// application folder so tests and the CLI find it wherever they run.</summary>
    public static string ConfigFolder
    {
        get
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
                {
                    var candidate = Path.Combine(folder.FullName, "configs", "npu");
                    if (Directory.Exists(candidate)) return candidate;
                }
            }
            throw new TesseraException("configs/npu folder not found", hint: "run from the Tessera checkout or pass a YAML file path");
        }
    }

    public static IReadOnlyList<string> NamedConfigs =>
        Directory.GetFiles(ConfigFolder, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList()!;

    /// <summary>Loads a named configuration (tiny, small, large) or a path to a YAML file.</summary>
    public static NpuSpec Load(string nameOrPath)
    {
        string path = File.Exists(nameOrPath) ? nameOrPath : Path.Combine(ConfigFolder, nameOrPath + ".yaml");
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"unknown NPU configuration '{nameOrPath}'", hint: $"use one of {string.Join(", ", NamedConfigs)} or a path to a YAML file");
        }
        return Parse(File.ReadAllText(path), path);
    }

    public static NpuSpec Parse(string yaml, string where = "<yaml>")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ModelFormatException($"invalid YAML at line {e.Start.Line}: {e.Message}", where, "fix the syntax of the NPU configuration");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet reports some unterminated constructs this way instead of with a YamlException.
            throw new ModelFormatException($"invalid YAML: {e.Message}", where, "fix the syntax of the NPU configuration");
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ModelFormatException("expected one YAML mapping of NPU parameters", where, "see configs/npu/small.yaml for the layout");
        }
        var reader = new FieldReader(root, where);
        var spec = new NpuSpec(
            Name: reader.Text("name"),
            ArrayRows: reader.Integer("array.rows", 1, 512),
            ArrayColumns: reader.Integer("array.columns", 1, 512),
            Dataflow: reader.Choice("array.dataflow", new Dictionary<string, Dataflow>
            {
                ["weight-stationary"] = Dataflow.WeightStationary,
                ["output-stationary"] = Dataflow.OutputStationary,
            }),
            VectorLanes: reader.Integer("vector.lanes", 1, 1024),
            VectorPipelineCycles: reader.Integer("vector.pipeline_cycles", 0, 64),
            ActivationScratchpadBytes: reader.Integer("memory.activation_scratchpad_bytes", 256, 1 << 22),
            WeightScratchpadBytes: reader.Integer("memory.weight_scratchpad_bytes", 256, 1 << 22),
            AccumulatorEntries: reader.Integer("memory.accumulator_entries", 64, 1 << 22),
            ScratchpadBanks: reader.Integer("memory.banks", 1, 64),
            DramBytes: reader.Integer("dram.bytes", 1 << 16, int.MaxValue),
            DramBytesPerCycle: reader.Integer("dram.bytes_per_cycle", 1, 4096),
            DramLatencyCycles: reader.Integer("dram.latency_cycles", 0, 100_000),
            ClockMegahertz: reader.Number("clock_mhz", 1, 10_000),
            Energy: new EnergyModel(
                MacPicojoules: reader.Number("energy.mac_pj", 0, 1000),
                VectorOperationPicojoules: reader.Number("energy.vector_op_pj", 0, 1000),
                SramReadPicojoulesPerByte: reader.Number("energy.sram_read_pj_per_byte", 0, 1000),
                SramWritePicojoulesPerByte: reader.Number("energy.sram_write_pj_per_byte", 0, 1000),
                DramPicojoulesPerByte: reader.Number("energy.dram_pj_per_byte", 0, 100_000),
                StaticMilliwatts: reader.Number("energy.static_mw", 0, 1_000_000),
                Source: reader.Text("energy.source")));
        reader.RejectUnknown();
        if (spec.ActivationScratchpadBytes % spec.ScratchpadBanks != 0)
        {
            throw new ModelFormatException($"memory.activation_scratchpad_bytes ({spec.ActivationScratchpadBytes}) is not a multiple of memory.banks ({spec.ScratchpadBanks})", where, "make every scratchpad size divisible by the bank count");
        }
        return spec;
    }

    /// <summary>Reads dotted paths from the YAML tree and remembers which keys it used, so unknown keys
    /// (usually typos) are reported instead of silently ignored.</summary>
    private sealed class FieldReader(YamlMappingNode root, string where)
    {
        private readonly HashSet<string> used = new(StringComparer.Ordinal);

        public string Text(string path)
        {
            var node = Scalar(path);
            if (string.IsNullOrWhiteSpace(node.Value)) throw Error(path, node, "is empty", "give a non-empty text");
            return node.Value;
        }

        public int Integer(string path, long minimum, long maximum)
        {
            var node = Scalar(path);
            if (!long.TryParse(node.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                throw Error(path, node, $"'{node.Value}' is not an integer", $"allowed range {minimum}..{maximum}");
            }
            if (value < minimum || value > maximum)
            {
                throw Error(path, node, $"{value} is out of range", $"allowed range {minimum}..{maximum}");
            }
            return (int)value;
        }

        public double Number(string path, double minimum, double maximum)
        {
            var node = Scalar(path);
            if (!double.TryParse(node.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                throw Error(path, node, $"'{node.Value}' is not a number", $"allowed range {minimum}..{maximum}");
            }
            if (value < minimum || value > maximum)
            {
                throw Error(path, node, $"{value.ToString(CultureInfo.InvariantCulture)} is out of range", $"allowed range {minimum}..{maximum}");
            }
            return value;
        }

        public T Choice<T>(string path, IReadOnlyDictionary<string, T> choices)
        {
            var node = Scalar(path);
            if (node.Value is null || !choices.TryGetValue(node.Value, out var value))
            {
                throw Error(path, node, $"'{node.Value}' is not allowed", $"use one of {string.Join(", ", choices.Keys)}");
            }
            return value;
        }

        public void RejectUnknown()
        {
            foreach (var (path, node) in Leaves(root, ""))
            {
                if (!used.Contains(path)) throw Error(path, node, "is not a known parameter", "remove it or check its spelling (see configs/npu/small.yaml)");
            }
        }

        private static IEnumerable<(string Path, YamlNode Node)> Leaves(YamlMappingNode mapping, string prefix)
        {
            foreach (var (key, value) in mapping.Children)
            {
                var path = prefix + ((YamlScalarNode)key).Value;
                if (value is YamlMappingNode child)
                {
                    foreach (var leaf in Leaves(child, path + ".")) yield return leaf;
                }
                else
                {
                    yield return (path, value);
                }
            }
        }

        private YamlScalarNode Scalar(string path)
        {
            used.Add(path);
            YamlNode node = root;
            foreach (var part in path.Split('.'))
            {
                if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(part), out var child))
                {
                    throw new ModelFormatException($"missing parameter '{path}'", where, "add it (see configs/npu/small.yaml for every parameter)");
                }
                node = child;
            }
            return node as YamlScalarNode ?? throw Error(path, node, "must be a single value", "write it as 'key: value'");
        }

        private ModelFormatException Error(string path, YamlNode node, string problem, string hint) =>
            new($"parameter '{path}' {problem}", $"{where}:{node.Start.Line}", hint);
    }
}
