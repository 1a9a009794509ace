using Google.Protobuf;
using Tessera.Core;
using Tessera.Onnx.Proto;

namespace Tessera.Onnx.Tests;

public sealed class ImporterSafetyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tessera-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ModelProto IdentityModel(TensorProto initializer)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(initializer);
        graph.Node.Add(new NodeProto { OpType = "Identity", Input = { initializer.Name }, Output = { "y" } });
        graph.Output.Add(new ValueInfoProto { Name = "y" });
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return model;
    }

    private static TensorProto External(string location, long offset = 0, long length = 16)
    {
        var t = new TensorProto { Name = "w", DataType = (int)DataType.Float32, Dims = { 4 }, DataLocation = TensorProto.Types.DataLocation.External };
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return t;
    }

    private string Save(ModelProto model)
    {
        var path = Path.Combine(_folder, "model.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void External_data_inside_the_model_folder_loads()
    {
        var values = new float[] { 1, 2, 3, 4 };
        var bytes = new byte[32];
        Buffer.BlockCopy(values, 0, bytes, 8, 16);
        File.WriteAllBytes(Path.Combine(_folder, "weights.bin"), bytes);
        var model = OnnxImporter.Load(Save(IdentityModel(External("weights.bin", offset: 8))));
        Assert.Equal(values, model.Graph.Initializers["w"].Constant!.As<float>());
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../outside.bin")]
    public void External_data_outside_the_model_folder_is_rejected(string location)
    {
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(Save(IdentityModel(External(location)))));
        Assert.Contains("initializer 'w'", e.UserMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_range_past_the_end_is_rejected()
    {
        File.WriteAllBytes(Path.Combine(_folder, "weights.bin"), new byte[8]);
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(Save(IdentityModel(External("weights.bin")))));
        Assert.Contains("outside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tensor_with_fewer_bytes_than_its_shape_needs_is_rejected()
    {
        var t = new TensorProto { Name = "w", DataType = (int)DataType.Float32, Dims = { 1000, 1000 }, RawData = ByteString.CopyFrom(new byte[16]) };
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(IdentityModel(t).ToByteArray()));
        Assert.Contains("needs 4000000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_claimed_shape_is_rejected_before_allocation()
    {
        var t = new TensorProto { Name = "w", DataType = (int)DataType.Float32, Dims = { 1L << 20, 1L << 20 } };
        Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(IdentityModel(t).ToByteArray()));
    }

    [Fact]
    public void Truncated_model_is_a_format_error()
    {
        var bytes = IdentityModel(new TensorProto { Name = "w", DataType = 1, Dims = { 2 }, FloatData = { 1, 2 } }).ToByteArray();
        Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(bytes[..(bytes.Length - 5)]));
    }

    [Fact]
    public void Dangling_node_input_is_named_in_the_error()
    {
        var model = IdentityModel(new TensorProto { Name = "w", DataType = 1, Dims = { 1 }, FloatData = { 1 } });
        model.Graph.Node.Add(new NodeProto { OpType = "Relu", Input = { "nowhere" }, Output = { "z" } });
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(model.ToByteArray()));
        Assert.Contains("'nowhere'", e.Message, StringComparison.Ordinal);
    }
}
