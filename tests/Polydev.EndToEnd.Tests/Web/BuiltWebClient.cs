using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>The real build output, <c>web/dist</c> (<c>npm run build:app</c>), and the tags of its index.html.</summary>
public static partial class BuiltWebClient
{
    /// <summary>The built client's directory; fails the test when it was not built.</summary>
    public static string Directory
    {
        get
        {
            var dist = Path.Combine(RepositoryRoot(), "web", "dist");
            Assert.True(File.Exists(Path.Combine(dist, "index.html")), $"{dist}/index.html is missing: run scripts/test (it builds the web client first).");
            return dist;
        }
    }

    /// <summary>One tag of index.html with its attributes (names lower-case) and, for a script, what it encloses.</summary>
    public sealed record Tag(string Name, IReadOnlyDictionary<string, string> Attributes, string Content)
    {
        public string? this[string attribute] => Attributes.GetValueOrDefault(attribute);
    }

    public static IReadOnlyList<Tag> Tags(string html, string name) =>
        [.. TagPattern().Matches(html)
            .Where(match => match.Groups["name"].Value.Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(match => new Tag(
                name,
                AttributePattern().Matches(match.Groups["attributes"].Value).ToDictionary(
                    attribute => attribute.Groups["name"].Value.ToLowerInvariant(),
                    attribute => attribute.Groups["value"].Success ? attribute.Groups["value"].Value : "",
                    StringComparer.Ordinal),
                match.Groups["content"].Value))];

    /// <summary>Every attribute name used anywhere in the document (lower-case).</summary>
    public static IReadOnlySet<string> AttributeNames(string html) =>
        TagPattern().Matches(html)
            .SelectMany(match => AttributePattern().Matches(match.Groups["attributes"].Value))
            .Select(attribute => attribute.Groups["name"].Value.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The file behind a same-origin URL path such as <c>/assets/main-ABC.js</c>.</summary>
    public static string FileFor(string dist, string urlPath)
    {
        var path = urlPath.Split('?', '#')[0].TrimStart('/');
        var full = Path.GetFullPath(Path.Combine(dist, path));
        Assert.StartsWith(Path.GetFullPath(dist) + Path.DirectorySeparatorChar, full);
        return full;
    }

    public static string Integrity(byte[] content) => "sha384-" + Convert.ToBase64String(SHA384.HashData(content));

    public static long GzipBytes(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.Length;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Polydev.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Polydev.slnx) above the test output directory.");
    }

    /// <summary>An opening tag (script bodies captured up to their end tag), in index.html as a build writes it.</summary>
    [GeneratedRegex("""<(?<name>[a-zA-Z][a-zA-Z0-9-]*)(?<attributes>(?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*/?>(?:(?<=<script\b[^>]*>)(?<content>[\s\S]*?)</script>)?""", RegexOptions.IgnoreCase)]
    private static partial Regex TagPattern();

    [GeneratedRegex("""(?<name>[^\s=>/]+)(?:\s*=\s*(?:"(?<value>[^"]*)"|'(?<value>[^']*)'|(?<value>[^\s>]+)))?""")]
    private static partial Regex AttributePattern();
}
