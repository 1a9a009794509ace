using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Tessera.Media;
using Xunit;

namespace Tessera.Cli.Tests;

/// <summary>Checks shared by the report tests: an HTML page that needs nothing outside itself, and its
/// rendering in headless Chromium.</summary>
public static partial class ReportPage
{
    [GeneratedRegex("""(?:src|href)\s*=\s*["']([^"']*)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex Reference();

    /// <summary>Parses the page as XML (it is written well-formed) and returns its img sources after checking
    /// that no attribute or style points outside the file and every image is an embedded PNG.</summary>
    public static IReadOnlyList<XElement> AssertSelfContained(string html)
    {
        foreach (Match match in Reference().Matches(html))
        {
            string target = match.Groups[1].Value;
            Assert.False(target.StartsWith("http:", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https:", StringComparison.OrdinalIgnoreCase) || target.StartsWith("//", StringComparison.Ordinal),
                $"external reference {target[..Math.Min(60, target.Length)]}");
            Assert.StartsWith("data:", target, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        var document = XDocument.Load(reader);
        var images = document.Descendants("img").ToList();
        Assert.NotEmpty(images);
        foreach (var image in images)
        {
            string source = image.Attribute("src")?.Value ?? "";
            Assert.StartsWith("data:image/png;base64,", source, StringComparison.Ordinal);
            var png = Convert.FromBase64String(source["data:image/png;base64,".Length..]);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.False(string.IsNullOrWhiteSpace(image.Attribute("alt")?.Value), "every plot has alt text");
        }
        return images;
    }

    /// <summary>Chromium from Debian (scripts/setup.sh installs it), or null.</summary>
    public static string? Chromium { get; } = new[] { "chromium", "chromium-browser" }
        .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(folder => Path.Combine(folder, name)))
        .FirstOrDefault(File.Exists);

    /// <summary>Screenshots <paramref name="htmlPath"/> in headless Chromium and decodes the PNG.</summary>
    public static RgbImage Screenshot(string htmlPath, string screenshotPath, int width, int height)
    {
        var start = new ProcessStartInfo(Chromium!)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList =
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--window-size={width},{height}",
                $"--user-data-dir={Path.Combine(Path.GetDirectoryName(screenshotPath)!, "chromium-profile")}",
                $"--screenshot={screenshotPath}", new Uri(htmlPath).AbsoluteUri,
            },
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 2 minutes");
        }
        Assert.True(File.Exists(screenshotPath), $"chromium wrote no screenshot (exit {process.ExitCode}): {errors.Result}");
        return RgbImage.Load(screenshotPath);
    }
}

/// <summary>A fact that is skipped, saying why, where Chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (ReportPage.Chromium is null) Skip = "chromium is not installed (scripts/setup.sh installs it)";
    }
}
