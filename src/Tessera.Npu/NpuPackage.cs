using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Tessera.Compiler;
using Tessera.Core;
using Tessera.Hardware;
using Tessera.Integer;
using Tessera.Onnx;

namespace Tessera.Npu;

/// <summary>A quantized model compiled for one NPU configuration and input shape: the QDQ model (the CPU steps
/// run from it), the configuration's YAML, and the partition with one NPU program per segment.</summary>
public sealed record NpuPackage(byte[] ModelBytes, string SpecYaml, IReadOnlyDictionary<string, int[]> InputShapes,
    IReadOnlyDictionary<string, DataType> InputTypes, ModelPartition Partition)
{
    /// <summary>Lowers a quantized ONNX model, probes its value shapes at <paramref name="inputShapes"/> and
    /// partitions it for the configuration given as YAML text.</summary>
    public static NpuPackage Compile(byte[] quantizedModel, string specYaml, string specWhere, IReadOnlyDictionary<string, int[]> inputShapes,
        IReadOnlyDictionary<string, DataType> inputTypes, bool exposeAll = false)
    {
        var spec = NpuSpecLoader.Parse(specYaml, specWhere);
        var program = IntegerLowering.Lower(OnnxImporter.Load(quantizedModel, "model.onnx"));
        var values = ProgramValues.Probe(program, inputShapes, inputTypes);
        return new NpuPackage(quantizedModel, specYaml, inputShapes, inputTypes, Partitioner.Partition(program, values, spec, exposeAll));
    }

    /// <summary>The YAML text of a named configuration or a YAML file path (what <see cref="NpuSpecLoader.Load"/> reads).</summary>
    public static (string Yaml, string Where) SpecSource(string nameOrPath)
    {
        NpuSpecLoader.Load(nameOrPath); // validates and gives the one-line error for an unknown name
        string path = File.Exists(nameOrPath) ? nameOrPath : Path.Combine(NpuSpecLoader.ConfigFolder, nameOrPath + ".yaml");
        return (File.ReadAllText(path), path);
    }
}

/// <summary>The .tnpu container: a zip holding manifest.json (format, version, spec hash, input shapes, every
/// file's sha256, the segments' layer plans and the CPU steps with their reasons), model.onnx, spec.yaml and
/// one program file (docs/isa.md's format) per segment. Reading checks all of it and rebuilds the partition
/// from the model with the stored programs; anything that does not match is a one-line error.</summary>
public static class NpuPackageFile
{
    public const string Format = "tessera-npu";
    public const int Version = 1;
    private const long MaximumEntryBytes = 1L << 31;

    public static void Write(string path, NpuPackage package)
    {
        var partition = package.Partition;
        var spec = partition.Spec;
        using var buffer = new MemoryStream();
        var segments = new List<SegmentEntry>();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "model.onnx", package.ModelBytes);
            Add(zip, "spec.yaml", System.Text.Encoding.UTF8.GetBytes(package.SpecYaml));
            foreach (var segment in partition.Segments)
            {
                var bytes = ProgramFile.Write(segment.Compiled.Program);
                string file = $"segment{segment.Index}.bin";
                Add(zip, file, bytes);
                segments.Add(new SegmentEntry(segment.Index, file, Sha256(bytes),
                    segment.Compiled.Layers.Select(l => new LayerEntry(l.Layer.Name, l.Decision, l.EstimatedCycles, l.FirstInstruction, l.InstructionCount)).ToList()));
            }
            var steps = partition.Program.Steps;
            var manifest = new Manifest(Format, Version, spec.Name, spec.Hash.ToString("x16"), Sha256(package.ModelBytes),
                package.InputShapes.Select(p => new InputEntry(p.Key, p.Value, package.InputTypes.TryGetValue(p.Key, out var t) ? t.ToString() : nameof(DataType.Float32))).ToList(),
                segments,
                partition.Fallbacks.Select(f => new CpuStepEntry(IndexOf(steps, f.Step), f.Step.Name, f.Reason)).ToList());
            Add(zip, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifest, JsonOptions));
        }
        AtomicFile.WriteAllBytes(path, buffer.ToArray());
    }

    public static NpuPackage Read(string path)
    {
        if (!File.Exists(path)) throw new TesseraException("file not found", path, "check the path");
        try
        {
            using var zip = new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read);
            var manifest = JsonSerializer.Deserialize<Manifest>(Entry(zip, "manifest.json", path), JsonOptions)
                ?? throw Bad(path, "manifest.json is empty");
            if (manifest.Format is null || manifest.Inputs is null || manifest.Segments is null || manifest.CpuSteps is null || manifest.SpecHash is null || manifest.ModelSha256 is null)
            {
                throw Bad(path, "manifest.json lacks a required field");
            }
            if (manifest.Format != Format) throw Bad(path, $"manifest format is '{manifest.Format}', not '{Format}'");
            if (manifest.Version != Version) throw Bad(path, $"format version {manifest.Version} is not supported (this Tessera reads {Version})");
            var specYaml = System.Text.Encoding.UTF8.GetString(Entry(zip, "spec.yaml", path));
            var spec = NpuSpecLoader.Parse(specYaml, path + ":spec.yaml");
            if (spec.Hash.ToString("x16") != manifest.SpecHash) throw Bad(path, "spec.yaml does not match the manifest's spec hash");
            var model = Entry(zip, "model.onnx", path);
            if (Sha256(model) != manifest.ModelSha256) throw Bad(path, "model.onnx does not match its sha256 in the manifest");
            var shapes = manifest.Inputs.ToDictionary(i => i.Name, i => i.Shape, StringComparer.Ordinal);
            var types = manifest.Inputs.ToDictionary(i => i.Name, i => Enum.TryParse<DataType>(i.Type, out var t) ? t : throw Bad(path, $"unknown input type '{i.Type}'"), StringComparer.Ordinal);
            var programs = new Dictionary<int, (NpuProgram Program, SegmentEntry Entry)>();
            if (manifest.Segments.Any(s => s?.File is null || s.Sha256 is null || s.Layers is null) || manifest.CpuSteps.Any(c => c?.Reason is null) || manifest.Inputs.Any(i => i?.Name is null || i.Shape is null || i.Type is null))
            {
                throw Bad(path, "manifest.json has an incomplete entry");
            }
            foreach (var segment in manifest.Segments)
            {
                var bytes = Entry(zip, segment.File, path);
                if (Sha256(bytes) != segment.Sha256) throw Bad(path, $"{segment.File} does not match its sha256 in the manifest");
                var program = ProgramFile.Read(bytes, $"{path}:{segment.File}");
                if (program.SpecHash != spec.Hash) throw Bad(path, $"{segment.File} was built for another NPU configuration");
                programs[segment.Index] = (program, segment);
            }
            var integer = IntegerLowering.Lower(OnnxImporter.Load(model, path + ":model.onnx"));
            var values = ProgramValues.Probe(integer, shapes, types);
            var cpuSteps = manifest.CpuSteps.Where(c => c.Reason.StartsWith("compiler:", StringComparison.Ordinal)).ToDictionary(c => c.Step, c => c.Reason);
            var partition = Partitioner.Partition(integer, values, spec, cpuSteps: cpuSteps, compile: (index, network) => Stored(path, spec, network, programs, index));
            var fallbacks = partition.Fallbacks.Select(f => IndexOf(integer.Steps, f.Step)).ToList();
            if (!fallbacks.SequenceEqual(manifest.CpuSteps.Select(c => c.Step)) || partition.Segments.Count() != programs.Count)
            {
                throw Bad(path, "its partition differs from what this Tessera makes of its model (made by another version)");
            }
            return new NpuPackage(model, specYaml, shapes, types, partition);
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, $"not a valid zip container ({e.Message})");
        }
        catch (JsonException e)
        {
            throw Bad(path, $"manifest.json is not valid ({e.Message})");
        }
    }

    private static CompiledNetwork Stored(string path, NpuSpec spec, Network network, Dictionary<int, (NpuProgram Program, SegmentEntry Entry)> programs, int index)
    {
        if (!programs.TryGetValue(index, out var stored)) throw Bad(path, $"segment {index} has no program");
        var (program, entry) = stored;
        if (entry.Layers.Count != network.Layers.Count || !entry.Layers.Select(l => l.Name).SequenceEqual(network.Layers.Select(l => l.Name)))
        {
            throw Bad(path, $"segment {index}'s layers differ from its model's (made by another version)");
        }
        var bindings = program.Tensors.Select(t => (t.Name, t.Role)).ToHashSet();
        if (!network.Inputs.All(i => bindings.Contains((i.Name, TensorRole.Input))) || !network.Outputs.All(o => bindings.Contains((o, TensorRole.Output))))
        {
            throw Bad(path, $"segment {index}'s program does not bind the segment's inputs and outputs");
        }
        var plans = network.Layers.Zip(entry.Layers, (layer, l) => new LayerPlan(layer, l.Decision, l.EstimatedCycles, l.FirstInstruction, l.InstructionCount)).ToList();
        return new CompiledNetwork(spec, network, program, MemoryPlan.Build(network), plans);
    }

    private static int IndexOf(IReadOnlyList<IntegerStep> steps, IntegerStep step)
    {
        for (int i = 0; i < steps.Count; i++)
        {
            if (ReferenceEquals(steps[i], step)) return i;
        }
        return -1;
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        stream.Write(bytes);
    }

    private static byte[] Entry(ZipArchive zip, string name, string path)
    {
        var entry = zip.GetEntry(name) ?? throw Bad(path, $"it has no {name}");
        if (entry.Length > MaximumEntryBytes) throw Bad(path, $"{name} is larger than {MaximumEntryBytes} bytes");
        using var stream = entry.Open();
        using var copy = new MemoryStream((int)entry.Length);
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static ModelFormatException Bad(string path, string problem) =>
        new($"not a usable .tnpu package: {problem}", path, "compile the model again with `tessera compile`");

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private sealed record Manifest(string Format, int Version, string Configuration, string SpecHash, string ModelSha256,
        List<InputEntry> Inputs, List<SegmentEntry> Segments, List<CpuStepEntry> CpuSteps);

    private sealed record InputEntry(string Name, int[] Shape, string Type);

    private sealed record SegmentEntry(int Index, string File, string Sha256, List<LayerEntry> Layers);

    private sealed record LayerEntry(string Name, string Decision, long EstimatedCycles, int FirstInstruction, int InstructionCount);

    private sealed record CpuStepEntry(int Step, string Name, string Reason);
}
