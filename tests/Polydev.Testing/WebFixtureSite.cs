using System.Security.Cryptography;
using System.Text;

namespace Polydev.Testing;

/// <summary>
/// A stand-in for <c>web/dist</c> that a test writes itself, shaped like the real build: <c>index.html</c> plus
/// <c>assets/&lt;name&gt;-&lt;hash&gt;.&lt;ext&gt;</c>, each referenced with Subresource Integrity. Deleted on dispose.
/// </summary>
public sealed class WebFixtureSite : IDisposable
{
    private WebFixtureSite(string root) => Root = root;

    /// <summary>The directory to give the server as <c>Web:Root</c>.</summary>
    public string Root { get; }

    public static WebFixtureSite Create()
    {
        var root = Directory.CreateTempSubdirectory("polydev-web-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "assets"));
        return new WebFixtureSite(root);
    }

    /// <summary>Writes <paramref name="content"/> under a content-hashed name and returns its URL path (<c>/assets/…</c>).</summary>
    public string AddAsset(string name, string extension, string content) => AddAsset(name, extension, Encoding.UTF8.GetBytes(content));

    public string AddAsset(string name, string extension, byte[] content)
    {
        var hash = Convert.ToHexString(SHA256.HashData(content))[..8];
        var fileName = $"{name}-{hash}.{extension}";
        File.WriteAllBytes(Path.Combine(Root, "assets", fileName), content);
        return "/assets/" + fileName;
    }

    public byte[] ReadAsset(string urlPath) => File.ReadAllBytes(Path.Combine(Root, urlPath.TrimStart('/')));

    public void WriteIndex(string html) => File.WriteAllText(Path.Combine(Root, "index.html"), html);

    /// <summary>The <c>integrity</c> attribute value for <paramref name="content"/>, as the real build writes it.</summary>
    public static string Integrity(byte[] content) => "sha384-" + Convert.ToBase64String(SHA384.HashData(content));

    public string Integrity(string urlPath) => Integrity(ReadAsset(urlPath));

    /// <summary>A page shaped like the real one: a hashed module script and stylesheet with integrity, and <paramref name="body"/>.</summary>
    public string PageHtml(string scriptPath, string stylePath, string body = "") =>
        $"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Polydev</title>
        <link rel="stylesheet" href="{stylePath}" integrity="{Integrity(stylePath)}" crossorigin="anonymous">
        <script type="module" src="{scriptPath}" integrity="{Integrity(scriptPath)}" crossorigin="anonymous"></script>
        </head>
        <body>
        {body}
        </body>
        </html>
        """;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
