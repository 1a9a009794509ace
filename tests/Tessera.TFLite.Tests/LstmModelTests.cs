using Tessera.Core;
using Tessera.TFLite.Schema;
using static Tessera.TFLite.Tests.BuiltModelTests;

namespace Tessera.TFLite.Tests;

/// <summary>UNIDIRECTIONAL_SEQUENCE_LSTM (float, with peepholes) on a file written here, against an LSTM
/// computed step by step with TFLite's gate equations. Arm NN 20.08 has no parser for this operator.</summary>
public sealed class LstmModelTests
{
    private const int Batch = 2, Steps = 3, InputSize = 2, Hidden = 3;

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

    private static byte[] Floats(float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lstm_with_peepholes_matches_the_gate_equations(bool timeMajor)
    {
        var random = new Random(11);
        // TFLite order within each group: input, forget, cell, output.
        var inputWeights = Enumerable.Range(0, 4).Select(_ => Values(random, Hidden * InputSize)).ToArray();
        var recurrentWeights = Enumerable.Range(0, 4).Select(_ => Values(random, Hidden * Hidden)).ToArray();
        var peepholes = Enumerable.Range(0, 3).Select(_ => Values(random, Hidden)).ToArray(); // input, forget, output
        var biases = Enumerable.Range(0, 4).Select(_ => Values(random, Hidden)).ToArray();

        var w = new TfLiteWriter();
        var bufferList = new List<int> { w.Buffer([]) };
        var tensorList = new List<int>();
        int[] inputShape = timeMajor ? [Steps, Batch, InputSize] : [Batch, Steps, InputSize];
        tensorList.Add(w.Tensor("x", inputShape, TfLiteType.Float32, 0));
        int AddConstant(string name, int[] shape, float[] data)
        {
            bufferList.Add(w.Buffer(Floats(data)));
            tensorList.Add(w.Tensor(name, shape, TfLiteType.Float32, (uint)(bufferList.Count - 1)));
            return tensorList.Count - 1;
        }
        var inputs = new int[24];
        Array.Fill(inputs, -1);
        inputs[0] = 0;
        for (int g = 0; g < 4; g++) inputs[1 + g] = AddConstant($"wi{g}", [Hidden, InputSize], inputWeights[g]);
        for (int g = 0; g < 4; g++) inputs[5 + g] = AddConstant($"wr{g}", [Hidden, Hidden], recurrentWeights[g]);
        for (int p = 0; p < 3; p++) inputs[9 + p] = AddConstant($"peephole{p}", [Hidden], peepholes[p]);
        for (int g = 0; g < 4; g++) inputs[12 + g] = AddConstant($"bias{g}", [Hidden], biases[g]);
        // The state tensors are variables without data: the run starts from zeros.
        tensorList.Add(w.Tensor("output_state", [Batch, Hidden], TfLiteType.Float32, 0));
        inputs[18] = tensorList.Count - 1;
        tensorList.Add(w.Tensor("cell_state", [Batch, Hidden], TfLiteType.Float32, 0));
        inputs[19] = tensorList.Count - 1;
        tensorList.Add(w.Tensor("y", timeMajor ? [Steps, Batch, Hidden] : [Batch, Steps, Hidden], TfLiteType.Float32, 0));
        int y = tensorList.Count - 1;
        // UnidirectionalSequenceLSTMOptions: 0 fused_activation_function (4 = TANH), 3 time_major.
        int options = w.Options((0, 4, true), (3, timeMajor ? 1 : 0, true));
        int[] codes = [w.Code(BuiltinOperators.UnidirectionalSequenceLstm)];
        int[] operators = [w.Operator(0, inputs, [y], options)];
        var model = TfLiteImporter.Load(w.Finish([.. tensorList], [0], [y], operators, codes, [.. bufferList]), "lstm.tflite");
        Assert.Contains("LSTM", model.Graph.Nodes.Select(n => n.OpType));

        var x = Values(random, Batch * Steps * InputSize);
        var actual = MlperfTinyModels.RunSingle(model, Tensor.Create(inputShape, x));

        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int n = 0; n < Batch; n++)
        {
            var h = new double[Hidden];
            var c = new double[Hidden];
            for (int t = 0; t < Steps; t++)
            {
                int xOffset = (timeMajor ? t * Batch + n : n * Steps + t) * InputSize;
                var pre = new double[4, Hidden];
                for (int g = 0; g < 4; g++)
                {
                    for (int k = 0; k < Hidden; k++)
                    {
                        double sum = biases[g][k];
                        for (int j = 0; j < InputSize; j++) sum += inputWeights[g][k * InputSize + j] * x[xOffset + j];
                        for (int j = 0; j < Hidden; j++) sum += recurrentWeights[g][k * Hidden + j] * h[j];
                        pre[g, k] = sum;
                    }
                }
                for (int k = 0; k < Hidden; k++)
                {
                    double inputGate = Sigmoid(pre[0, k] + peepholes[0][k] * c[k]);
                    double forgetGate = Sigmoid(pre[1, k] + peepholes[1][k] * c[k]);
                    c[k] = forgetGate * c[k] + inputGate * Math.Tanh(pre[2, k]);
                    double outputGate = Sigmoid(pre[3, k] + peepholes[2][k] * c[k]);
                    h[k] = outputGate * Math.Tanh(c[k]);
                    int yOffset = (timeMajor ? t * Batch + n : n * Steps + t) * Hidden + k;
                    Assert.Equal(h[k], actual[yOffset], 5);
                }
            }
        }
    }
}
