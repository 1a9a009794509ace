using Tessera.Augment.Spec;
using Tessera.Media;

namespace Tessera.Augment.Image;

/// <summary>The image operations of the spec language. Each samples its parameters from the pipeline's
/// <see cref="Random"/>, records them, and calls <see cref="ImageGeometry"/> or <see cref="ImageColor"/>.</summary>
public static class ImageOperations
{
    private static readonly (byte, byte, byte) Black = (0, 0, 0);

    public static OperationCatalog<RgbImage> Catalog { get; } = new("image",
    [
        new("resize", "resize to a fixed size (bilinear); one side alone keeps the aspect ratio",
            [new("width", "from height", "output width in pixels"), new("height", "from width", "output height in pixels")], Resize),
        new("crop", "crop a random window",
            [new("scale", "0.8", "window side as a fraction of each image side (when width/height are absent)"),
             new("width", "-", "window width in pixels"), new("height", "-", "window height in pixels")], Crop),
        new("flip", "mirror the image", [new("axis", "horizontal", "horizontal (left-right) or vertical (top-bottom)")], Flip),
        new("rotate", "rotate about the centre, bilinear, same canvas",
            [new("degrees", "15", "angle; v means -v..v, counter-clockwise positive"), new("fill", "0", "colour of the uncovered corners (#rrggbb or grey 0..255)")], Rotate),
        new("affine", "scale, shear, rotate and translate about the centre",
            [new("scale", "1", "zoom factor"), new("translate", "0", "shift as a fraction of the size; v means -v..v on each axis"),
             new("shear", "0", "x-shear angle in degrees; v means -v..v"), new("degrees", "0", "rotation; v means -v..v"),
             new("fill", "0", "colour of uncovered areas")], Affine),
        new("jitter", "brightness/contrast/saturation/hue jitter (HSV round trip)",
            [new("brightness", "0", "b: factor in 1-b..1+b"), new("contrast", "0", "c: factor in 1-c..1+c"),
             new("saturation", "0", "s: factor in 1-s..1+s"), new("hue", "0", "h: shift in -h..h turns (h <= 0.5)")], Jitter),
        new("noise", "additive Gaussian noise", [new("sigma", "0.03", "standard deviation as a fraction of full scale")], Noise),
        new("blur", "separable Gaussian blur", [new("sigma", "1", "standard deviation in pixels")], Blur),
        new("jpeg", "JPEG re-compression", [new("quality", "50", "JPEG quality 1..100")], Jpeg),
        new("cutout", "fill random squares with a colour",
            [new("size", "0.25", "square side as a fraction of the shorter image side"), new("count", "1", "number of squares"),
             new("fill", "0", "colour")], Cutout),
    ]);

    private static IAugmentation<RgbImage> Resize(OperationParameters parameters)
    {
        if (!parameters.Has("width") && !parameters.Has("height")) throw parameters.Fail("width").Because("resize needs width, height or both", "write e.g. resize:width=224:height=224");
        var width = parameters.Integer("width", 0, 1, 16384);
        var height = parameters.Integer("height", 0, 1, 16384);
        return new DelegateAugmentation<RgbImage>("resize", (image, random, applied) =>
        {
            int w = (int)System.Math.Round(width.Sample(random)), h = (int)System.Math.Round(height.Sample(random));
            if (w == 0) w = System.Math.Max(1, (int)System.Math.Round((double)image.Width * h / image.Height));
            if (h == 0) h = System.Math.Max(1, (int)System.Math.Round((double)image.Height * w / image.Width));
            applied["width"] = w;
            applied["height"] = h;
            return image.Resize(w, h);
        });
    }

    private static IAugmentation<RgbImage> Crop(OperationParameters parameters)
    {
        var scale = parameters.Value("scale", 0.8, 0.01, 1);
        bool pixels = parameters.Has("width") || parameters.Has("height");
        var width = parameters.Integer("width", 0, 1, 16384);
        var height = parameters.Integer("height", 0, 1, 16384);
        return new DelegateAugmentation<RgbImage>("crop", (image, random, applied) =>
        {
            int w, h;
            if (pixels)
            {
                w = System.Math.Min(image.Width, width.Minimum == 0 ? image.Width : (int)System.Math.Round(width.Sample(random)));
                h = System.Math.Min(image.Height, height.Minimum == 0 ? image.Height : (int)System.Math.Round(height.Sample(random)));
            }
            else
            {
                double fraction = scale.Sample(random);
                w = System.Math.Max(1, (int)System.Math.Round(image.Width * fraction));
                h = System.Math.Max(1, (int)System.Math.Round(image.Height * fraction));
            }
            int left = random.Next(image.Width - w + 1), top = random.Next(image.Height - h + 1);
            applied["left"] = left;
            applied["top"] = top;
            applied["width"] = w;
            applied["height"] = h;
            return ImageGeometry.Crop(image, left, top, w, h);
        });
    }

    private static IAugmentation<RgbImage> Flip(OperationParameters parameters)
    {
        var axis = parameters.Word("axis", "horizontal", "horizontal", "vertical");
        return new DelegateAugmentation<RgbImage>("flip", (image, _, applied) =>
        {
            applied["axis"] = axis;
            return ImageGeometry.Flip(image, axis == "horizontal");
        });
    }

    private static IAugmentation<RgbImage> Rotate(OperationParameters parameters)
    {
        var degrees = parameters.Spread("degrees", 15, -360, 360);
        var fill = parameters.Color("fill", Black);
        return new DelegateAugmentation<RgbImage>("rotate", (image, random, applied) =>
        {
            double angle = degrees.Sample(random);
            applied["degrees"] = System.Math.Round(angle, 4);
            return ImageGeometry.Rotate(image, angle, fill);
        });
    }

    private static IAugmentation<RgbImage> Affine(OperationParameters parameters)
    {
        var scale = parameters.Value("scale", 1, 0.05, 20);
        var translate = parameters.Spread("translate", 0, -1, 1);
        var shear = parameters.Spread("shear", 0, -80, 80);
        var degrees = parameters.Spread("degrees", 0, -360, 360);
        var fill = parameters.Color("fill", Black);
        return new DelegateAugmentation<RgbImage>("affine", (image, random, applied) =>
        {
            double zoom = scale.Sample(random), shiftX = translate.Sample(random), shiftY = translate.Sample(random);
            double shearAngle = shear.Sample(random), angle = degrees.Sample(random);
            applied["scale"] = System.Math.Round(zoom, 4);
            applied["translate_x"] = System.Math.Round(shiftX, 4);
            applied["translate_y"] = System.Math.Round(shiftY, 4);
            applied["shear"] = System.Math.Round(shearAngle, 4);
            applied["degrees"] = System.Math.Round(angle, 4);
            return ImageGeometry.Affine(image, angle, zoom, shiftX, shiftY, shearAngle, fill);
        });
    }

    private static IAugmentation<RgbImage> Jitter(OperationParameters parameters)
    {
        var brightness = Around(parameters.Spread("brightness", 0, -1, 1));
        var contrast = Around(parameters.Spread("contrast", 0, -1, 1));
        var saturation = Around(parameters.Spread("saturation", 0, -1, 1));
        var hue = parameters.Spread("hue", 0, -0.5, 0.5);
        return new DelegateAugmentation<RgbImage>("jitter", (image, random, applied) =>
        {
            double b = brightness.Sample(random), c = contrast.Sample(random), s = saturation.Sample(random), h = hue.Sample(random);
            applied["brightness"] = System.Math.Round(b, 4);
            applied["contrast"] = System.Math.Round(c, 4);
            applied["saturation"] = System.Math.Round(s, 4);
            applied["hue"] = System.Math.Round(h, 4);
            return ImageColor.Jitter(image, b, c, s, h);
        });
    }

    /// <summary>A jitter amount range (e.g. -0.2..0.2) as a factor range around 1 (0.8..1.2).</summary>
    private static NumberRange Around(NumberRange amount) => new(1 + amount.Minimum, 1 + amount.Maximum);

    private static IAugmentation<RgbImage> Noise(OperationParameters parameters)
    {
        var sigma = parameters.Value("sigma", 0.03, 0, 1);
        return new DelegateAugmentation<RgbImage>("noise", (image, random, applied) =>
        {
            double value = sigma.Sample(random);
            applied["sigma"] = System.Math.Round(value, 5);
            return ImageColor.AddGaussianNoise(image, value, random);
        });
    }

    private static IAugmentation<RgbImage> Blur(OperationParameters parameters)
    {
        var sigma = parameters.Value("sigma", 1, 0, 50);
        return new DelegateAugmentation<RgbImage>("blur", (image, random, applied) =>
        {
            double value = sigma.Sample(random);
            applied["sigma"] = System.Math.Round(value, 4);
            return ImageColor.GaussianBlur(image, value);
        });
    }

    private static IAugmentation<RgbImage> Jpeg(OperationParameters parameters)
    {
        var quality = parameters.Integer("quality", 50, 1, 100);
        return new DelegateAugmentation<RgbImage>("jpeg", (image, random, applied) =>
        {
            int value = (int)System.Math.Round(quality.Sample(random));
            applied["quality"] = value;
            return ImageColor.JpegRoundTrip(image, value);
        });
    }

    private static IAugmentation<RgbImage> Cutout(OperationParameters parameters)
    {
        var size = parameters.Value("size", 0.25, 0.001, 1);
        var count = parameters.Integer("count", 1, 1, 100);
        var fill = parameters.Color("fill", Black);
        return new DelegateAugmentation<RgbImage>("cutout", (image, random, applied) =>
        {
            int squares = (int)System.Math.Round(count.Sample(random));
            var boxes = new List<int[]>();
            var result = image;
            for (int i = 0; i < squares; i++)
            {
                int side = System.Math.Max(1, (int)System.Math.Round(size.Sample(random) * System.Math.Min(image.Width, image.Height)));
                // The centre may lie anywhere, so squares near a border are partly outside (as in DeVries & Taylor 2017).
                int left = random.Next(image.Width) - side / 2, top = random.Next(image.Height) - side / 2;
                boxes.Add([left, top, side]);
                result = ImageGeometry.Cutout(result, left, top, side, side, fill);
            }
            applied["boxes"] = boxes;
            return result;
        });
    }
}
