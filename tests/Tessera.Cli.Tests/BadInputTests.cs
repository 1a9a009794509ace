using Google.Protobuf;
using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Cli.Tests;

/// <summary>Every kind of bad input gives one clear line on stderr, exit code 2, no stack trace and no
/// output file.</summary>
[Collection("cli")]
public sealed class BadInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string OutputFolder => Path.Combine(_folder, "out");

    /// <summary>y = x + b with x float32 [2,3] and a constant b.</summary>
    private static ModelProto AddModel(TensorProto? initializer = null, string opType = "Add")
    {
        var graph = new GraphProto { Name = "g" };
        var b = initializer ?? new TensorProto { Name = "b", DataType = (int)DataType.Float32, Dims = { 3 }, FloatData = { 1, 2, 3 } };
        graph.Initializer.Add(b);
        graph.Input.Add(Tensor("x", 2, 3));
        graph.Node.Add(new NodeProto { OpType = opType, Input = { "x", b.Name }, Output = { "y" } });
        graph.Output.Add(Tensor("y", 2, 3));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return model;
    }

    private static ValueInfoProto Tensor(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float32, Shape = shape } },
        };
    }

    private string Save(ModelProto model, string name = "model.onnx") => SaveBytes(model.ToByteArray(), name);

    private string SaveBytes(byte[] bytes, string name)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string SaveInput(Tensor tensor, string name = "x.npy")
    {
        var path = Path.Combine(_folder, name);
        NpyFile.Write(path, tensor);
        return path;
    }

    private static Tensor Floats(int[] shape) => Core.Tensor.Create(shape, new float[ShapeMath.ElementCount(shape)]);

    private void AssertCleanFailure(CliHarness.Result result, params string[] expectedFragments)
    {
        Assert.Equal(2, result.ExitCode);
        var lines = result.ErrorLines;
        Assert.Single(lines);
        Assert.StartsWith("tessera: error: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        foreach (var fragment in expectedFragments) Assert.Contains(fragment, lines[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(OutputFolder) && Directory.EnumerateFileSystemEntries(OutputFolder).Any(), "no output may be written");
    }

    private CliHarness.Result RunModel(string model, params string[] inputs)
    {
        var args = new List<string> { "run", model };
        foreach (var i in inputs) args.AddRange(["-i", i]);
        args.AddRange(["-o", OutputFolder]);
        return CliHarness.Run(args.ToArray());
    }

    [Fact]
    public void A_valid_run_writes_the_output()
    {
        var result = RunModel(Save(AddModel()), "x=" + SaveInput(Core.Tensor.Create([2, 3], new float[] { 1, 1, 1, 2, 2, 2 })));
        Assert.True(result.ExitCode == 0, result.Stderr);
        var y = NpyFile.Read(Path.Combine(OutputFolder, "y.npy"));
        Assert.Equal(new float[] { 2, 3, 4, 3, 4, 5 }, y.As<float>());
        Assert.Contains("[2,3]", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_model()
    {
        var bytes = AddModel().ToByteArray();
        var result = RunModel(SaveBytes(bytes[..(bytes.Length / 2)], "cut.onnx"), "x=" + SaveInput(Floats([2, 3])));
        AssertCleanFailure(result, "cut.onnx", "not a valid ONNX model");
    }

    [Fact]
    public void Random_bytes()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        var result = RunModel(SaveBytes(bytes, "noise.onnx"), "x=" + SaveInput(Floats([2, 3])));
        AssertCleanFailure(result, "noise.onnx");
    }

    [Fact]
    public void Unknown_operator()
    {
        var result = RunModel(Save(AddModel(opType: "FrobnicateTensors")), "x=" + SaveInput(Floats([2, 3])));
        AssertCleanFailure(result, "FrobnicateTensors", "not implemented");
    }

    [Fact]
    public void Missing_input()
    {
        var result = RunModel(Save(AddModel()));
        AssertCleanFailure(result, "input 'x'", "missing");
    }

    [Fact]
    public void Extra_input()
    {
        var result = RunModel(Save(AddModel()), "x=" + SaveInput(Floats([2, 3])), "z=" + SaveInput(Floats([2, 3]), "z.npy"));
        AssertCleanFailure(result, "no input named 'z'");
    }

    [Fact]
    public void Wrong_shape()
    {
        var result = RunModel(Save(AddModel()), "x=" + SaveInput(Floats([3, 2])));
        AssertCleanFailure(result, "input 'x'", "[3,2]");
    }

    [Fact]
    public void Wrong_dtype()
    {
        var result = RunModel(Save(AddModel()), "x=" + SaveInput(Core.Tensor.Create([2, 3], new int[6])));
        AssertCleanFailure(result, "input 'x'", "int32", "float32");
    }

    [Fact]
    public void Tensor_claiming_more_elements_than_its_bytes_hold()
    {
        var lying = new TensorProto { Name = "b", DataType = (int)DataType.Float32, Dims = { 1000000 }, RawData = ByteString.CopyFrom(new byte[16]) };
        var result = RunModel(Save(AddModel(lying)), "x=" + SaveInput(Floats([2, 3])));
        AssertCleanFailure(result, "'b'");
    }

    [Fact]
    public void Npy_input_claiming_more_elements_than_its_bytes_hold()
    {
        var bytes = NpyFile.ToBytes(Floats([2, 3]));
        var path = SaveBytes(bytes[..^8], "short.npy");
        var result = RunModel(Save(AddModel()), "x=" + path);
        AssertCleanFailure(result, "short.npy", "truncated");
    }

    [Fact]
    public void External_data_outside_the_model_folder()
    {
        var external = new TensorProto { Name = "b", DataType = (int)DataType.Float32, Dims = { 3 }, DataLocation = TensorProto.Types.DataLocation.External };
        external.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        var result = RunModel(Save(AddModel(external)), "x=" + SaveInput(Floats([2, 3])));
        AssertCleanFailure(result, "'b'", "outside");
    }

    [Fact]
    public void Missing_model_file()
    {
        var result = RunModel(Path.Combine(_folder, "nowhere.onnx"), "x=" + SaveInput(Floats([2, 3])));
        AssertCleanFailure(result, "nowhere.onnx", "not found");
    }

    [Fact]
    public void Missing_input_file()
    {
        var result = RunModel(Save(AddModel()), "x=" + Path.Combine(_folder, "absent.npy"));
        AssertCleanFailure(result, "absent.npy", "not found");
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var result = CliHarness.Run("run", Save(AddModel(opType: "FrobnicateTensors")), "-i", "x=" + SaveInput(Floats([2, 3])), "--verbose");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("   at ", result.Stderr, StringComparison.Ordinal);
    }
}
