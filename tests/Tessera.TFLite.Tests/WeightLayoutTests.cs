using Tessera.Core;

namespace Tessera.TFLite.Tests;

public sealed class WeightLayoutTests
{
    [Fact]
    public void Filters_move_from_OHWI_to_OIHW()
    {
        // Element value encodes its OHWI index as o*1000 + h*100 + w*10 + i.
        int[] shape = [2, 3, 2, 4];
        var data = new float[48];
        int k = 0;
        for (int o = 0; o < 2; o++) for (int h = 0; h < 3; h++) for (int w = 0; w < 2; w++) for (int i = 0; i < 4; i++) data[k++] = o * 1000 + h * 100 + w * 10 + i;
        var permuted = TfLiteImporter.Permute(Tensor.Create(shape, data), [0, 3, 1, 2]);
        Assert.Equal([2, 4, 3, 2], permuted.Shape);
        var values = permuted.As<float>();
        k = 0;
        for (int o = 0; o < 2; o++) for (int i = 0; i < 4; i++) for (int h = 0; h < 3; h++) for (int w = 0; w < 2; w++) Assert.Equal(o * 1000 + h * 100 + w * 10 + i, values[k++]);
    }
}
