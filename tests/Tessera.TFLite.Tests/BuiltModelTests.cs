using Google.FlatBuffers;
using Tessera.Core;
using Tessera.TFLite.Schema;

namespace Tessera.TFLite.Tests;

/// <summary>Operators the MLPerf Tiny models do not use, checked on a small .tflite file written here with
/// FlatBufferBuilder (field ids as in TFLite's schema.fbs) against values computed by hand.</summary>
public sealed class BuiltModelTests
{
    internal sealed class TfLiteWriter
    {
        private readonly FlatBufferBuilder _builder = new(1024) { ForceDefaults = true };

        public int Ints(int[] values)
        {
            _builder.StartVector(4, values.Length, 4);
            for (int i = values.Length - 1; i >= 0; i--) _builder.AddInt(values[i]);
            return _builder.EndVector().Value;
        }

        public int Offsets(int[] offsets)
        {
            _builder.StartVector(4, offsets.Length, 4);
            for (int i = offsets.Length - 1; i >= 0; i--) _builder.AddOffset(offsets[i]);
            return _builder.EndVector().Value;
        }

        public int Tensor(string name, int[] shape, TfLiteType type, uint buffer)
        {
            int nameOffset = _builder.CreateString(name).Value, shapeOffset = Ints(shape);
            _builder.StartTable(5);
            _builder.AddOffset(0, shapeOffset, 0);
            _builder.AddSbyte(1, (sbyte)type, 0);
            _builder.AddUint(2, buffer, 0);
            _builder.AddOffset(3, nameOffset, 0);
            return _builder.EndTable();
        }

        public int Buffer(byte[] data)
        {
            int dataOffset = 0;
            if (data.Length > 0)
            {
                _builder.StartVector(1, data.Length, 16);
                for (int i = data.Length - 1; i >= 0; i--) _builder.AddByte(data[i]);
                dataOffset = _builder.EndVector().Value;
            }
            _builder.StartTable(1);
            if (dataOffset != 0) _builder.AddOffset(0, dataOffset, 0);
            return _builder.EndTable();
        }

        public int Code(int builtin)
        {
            _builder.StartTable(4);
            _builder.AddSbyte(0, (sbyte)Math.Min(builtin, 127), 0);
            _builder.AddInt(2, 1, 1);
            _builder.AddInt(3, builtin, 0);
            return _builder.EndTable();
        }

        /// <summary>ReducerOptions (0 keep_dims) as an example options table.</summary>
        public int ReducerOptions(bool keepDims)
        {
            _builder.StartTable(1);
            _builder.AddBool(0, keepDims, false);
            return _builder.EndTable();
        }

        /// <summary>An options table of int fields (ConcatenationOptions: 0 axis) and byte fields
        /// (fused_activation_function) given as (field id, value, is byte).</summary>
        public int Options(params (int Id, int Value, bool IsByte)[] fields)
        {
            _builder.StartTable(fields.Max(f => f.Id) + 1);
            foreach (var (id, value, isByte) in fields)
            {
                if (isByte) _builder.AddSbyte(id, (sbyte)value, 0);
                else _builder.AddInt(id, value, 0);
            }
            return _builder.EndTable();
        }

        /// <summary>An operator; <paramref name="optionsType"/> is the BuiltinOptions union tag, which Tessera
        /// does not need but Arm NN reads before it touches the options.</summary>
        public int Operator(uint code, int[] inputs, int[] outputs, int options = 0, byte optionsType = 0)
        {
            int inputOffset = Ints(inputs), outputOffset = Ints(outputs);
            _builder.StartTable(5);
            _builder.AddUint(0, code, 0);
            _builder.AddOffset(1, inputOffset, 0);
            _builder.AddOffset(2, outputOffset, 0);
            if (optionsType != 0) _builder.AddByte(3, optionsType, 0);
            if (options != 0) _builder.AddOffset(4, options, 0);
            return _builder.EndTable();
        }

        public byte[] Finish(int[] tensors, int[] inputs, int[] outputs, int[] operators, int[] codes, int[] buffers)
        {
            int tensorVector = Offsets(tensors), inputVector = Ints(inputs), outputVector = Ints(outputs), operatorVector = Offsets(operators);
            int name = _builder.CreateString("main").Value;
            _builder.StartTable(5);
            _builder.AddOffset(0, tensorVector, 0);
            _builder.AddOffset(1, inputVector, 0);
            _builder.AddOffset(2, outputVector, 0);
            _builder.AddOffset(3, operatorVector, 0);
            _builder.AddOffset(4, name, 0);
            int subgraph = _builder.EndTable();
            int codeVector = Offsets(codes), subgraphVector = Offsets([subgraph]), bufferVector = Offsets(buffers);
            _builder.StartTable(5);
            _builder.AddUint(0, 3, 0);
            _builder.AddOffset(1, codeVector, 0);
            _builder.AddOffset(2, subgraphVector, 0);
            _builder.AddOffset(4, bufferVector, 0);
            _builder.Finish(_builder.EndTable(), "TFL3");
            return _builder.SizedByteArray();
        }
    }

    internal static byte[] Int32Bytes(params int[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void Pad_then_mean_then_logistic_matches_hand_computation()
    {
        var w = new TfLiteWriter();
        // Buffers are created first so tensor tables can name them by index.
        int[] buffers = [w.Buffer([]), w.Buffer(Int32Bytes(0, 0, 1, 1, 1, 1, 0, 0)), w.Buffer(Int32Bytes(1, 2))];
        int[] tensors =
        [
            w.Tensor("x", [1, 3, 3, 2], TfLiteType.Float32, 0),
            w.Tensor("paddings", [4, 2], TfLiteType.Int32, 1),
            w.Tensor("padded", [1, 5, 5, 2], TfLiteType.Float32, 0),
            w.Tensor("axes", [2], TfLiteType.Int32, 2),
            w.Tensor("mean", [1, 2], TfLiteType.Float32, 0),
            w.Tensor("y", [1, 2], TfLiteType.Float32, 0),
        ];
        int[] codes = [w.Code(BuiltinOperators.Pad), w.Code(BuiltinOperators.Mean), w.Code(BuiltinOperators.Logistic)];
        int reducer = w.ReducerOptions(keepDims: false);
        int[] operators = [w.Operator(0, [0, 1], [2]), w.Operator(1, [2, 3], [4], reducer), w.Operator(2, [4], [5])];
        var bytes = w.Finish(tensors, [0], [5], operators, codes, buffers);

        var model = TfLiteImporter.Load(bytes, "built.tflite");
        Assert.Equal(["Pad", "ReduceMean", "Sigmoid"], model.Graph.Nodes.Select(n => n.OpType));
        var x = Enumerable.Range(0, 18).Select(i => (float)(i - 9) / 4).ToArray();
        var y = MlperfTinyModels.RunSingle(model, Tensor.Create([1, 3, 3, 2], x));
        for (int c = 0; c < 2; c++)
        {
            // Zero padding to 5x5: the mean divides the channel's 9 values by 25.
            double sum = Enumerable.Range(0, 9).Sum(p => (double)x[p * 2 + c]);
            Assert.Equal(1 / (1 + Math.Exp(-sum / 25)), y[c], 6);
        }
    }

    [Fact]
    public void Add_with_fused_relu6_then_concatenation_matches_hand_computation()
    {
        var w = new TfLiteWriter();
        int[] buffers = [w.Buffer([]), w.Buffer(new[] { 2.5f, -1f, 4f }.SelectMany(BitConverter.GetBytes).ToArray())];
        int[] tensors =
        [
            w.Tensor("x", [1, 2, 3], TfLiteType.Float32, 0),
            w.Tensor("bias", [3], TfLiteType.Float32, 1),
            w.Tensor("sum", [1, 2, 3], TfLiteType.Float32, 0),
            w.Tensor("joined", [1, 2, 6], TfLiteType.Float32, 0),
        ];
        int[] codes = [w.Code(BuiltinOperators.Add), w.Code(BuiltinOperators.Concatenation)];
        // AddOptions: 0 fused_activation_function (3 = RELU6); ConcatenationOptions: 0 axis, 1 activation.
        int addOptions = w.Options((0, 3, true));
        int concatOptions = w.Options((0, -1, false), (1, 0, true));
        int[] operators = [w.Operator(0, [0, 1], [2], addOptions), w.Operator(1, [2, 0], [3], concatOptions)];
        var model = TfLiteImporter.Load(w.Finish(tensors, [0], [3], operators, codes, buffers), "built.tflite");
        float[] x = [1, 2, 3, -4, 5, 6];
        var y = MlperfTinyModels.RunSingle(model, Tensor.Create([1, 2, 3], x));
        float[] bias = [2.5f, -1f, 4f];
        var expected = new float[12];
        for (int row = 0; row < 2; row++)
        {
            for (int c = 0; c < 3; c++)
            {
                expected[row * 6 + c] = Math.Clamp(x[row * 3 + c] + bias[c], 0, 6);
                expected[row * 6 + 3 + c] = x[row * 3 + c];
            }
        }
        Assert.Equal(expected, y);
    }
}
