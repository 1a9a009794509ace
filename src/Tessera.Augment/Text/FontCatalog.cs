using Tessera.Core;

namespace Tessera.Augment.Text;

/// <summary>A TrueType font file by name.</summary>
public sealed record FontFace(string Name, string Path);

/// <summary>The fonts text rendering uses, at the paths Debian's fonts-dejavu-core and fonts-liberation2
/// install them (scripts/setup.sh installs both).</summary>
public static class FontCatalog
{
    private const string DejaVu = "/usr/share/fonts/truetype/dejavu";
    private const string Liberation = "/usr/share/fonts/truetype/liberation2";

    public static IReadOnlyList<FontFace> All { get; } =
    [
        new("DejaVu Sans", $"{DejaVu}/DejaVuSans.ttf"),
        new("DejaVu Sans Bold", $"{DejaVu}/DejaVuSans-Bold.ttf"),
        new("DejaVu Serif", $"{DejaVu}/DejaVuSerif.ttf"),
        new("DejaVu Sans Mono", $"{DejaVu}/DejaVuSansMono.ttf"),
        new("Liberation Sans", $"{Liberation}/LiberationSans-Regular.ttf"),
        new("Liberation Sans Bold", $"{Liberation}/LiberationSans-Bold.ttf"),
        new("Liberation Serif", $"{Liberation}/LiberationSerif-Regular.ttf"),
        new("Liberation Mono", $"{Liberation}/LiberationMono-Regular.ttf"),
    ];

    public static FontFace Get(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidInputException($"unknown font '{name}'", "font", $"use one of {string.Join(", ", All.Select(f => f.Name))}");

    /// <summary>Throws an error that says how to install the font when its file is missing.</summary>
    public static void EnsureInstalled(FontFace font)
    {
        if (!File.Exists(font.Path))
        {
            throw new UnsupportedException($"font '{font.Name}' is not installed ({font.Path} is missing)", "text rendering",
                "run scripts/setup.sh (it installs the Debian packages fonts-dejavu-core and fonts-liberation2)");
        }
    }
}
