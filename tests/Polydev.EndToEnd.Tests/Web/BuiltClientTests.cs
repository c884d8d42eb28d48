using System.Text.Json.Nodes;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>
/// Checks of the real build output (web/dist). They need the web client built, which scripts/test does first;
/// without it they fail, saying so.
/// </summary>
public sealed class BuiltClientTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const long JavaScriptGzipBudget = 150 * 1024;

    [Fact]
    public void Every_script_and_stylesheet_of_index_html_is_an_asset_file_with_matching_integrity()
    {
        var dist = BuiltWebClient.Directory;
        var html = File.ReadAllText(Path.Combine(dist, "index.html"));

        var scripts = BuiltWebClient.Tags(html, "script");
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            Assert.True(string.IsNullOrWhiteSpace(script.Content), "index.html has an inline script; the CSP blocks it.");
            AssertIntegrity(dist, script, script["src"]);
        }

        foreach (var link in BuiltWebClient.Tags(html, "link"))
        {
            var href = link["href"];
            Assert.False(string.IsNullOrEmpty(href), "a <link> without href");
            var rel = (link["rel"] ?? "").ToLowerInvariant();
            // Same origin only (the CSP allows nothing else), or an inline icon (img-src allows data:).
            var sameOrigin = !href.StartsWith("//", StringComparison.Ordinal) && !href.Contains(':', StringComparison.Ordinal);
            Assert.True(sameOrigin || (rel.Contains("icon", StringComparison.Ordinal) && href.StartsWith("data:", StringComparison.Ordinal)), $"<link href=\"{href}\"> is not on the server's own origin.");
            // Integrity applies to what the page loads as code or style; an icon or manifest link cannot carry it.
            if (rel is "stylesheet" or "modulepreload" or "preload")
            {
                AssertIntegrity(dist, link, href);
            }
        }

        Assert.Empty(BuiltWebClient.Tags(html, "style"));
        var attributes = BuiltWebClient.AttributeNames(html);
        Assert.DoesNotContain("style", attributes);
        Assert.DoesNotContain(attributes, name => name.StartsWith("on", StringComparison.Ordinal));
    }

    [Fact]
    public void The_javascript_is_under_150_KB_gzipped_and_the_manifest_lists_the_files()
    {
        var dist = BuiltWebClient.Directory;
        var scripts = System.IO.Directory.GetFiles(dist, "*.js", SearchOption.AllDirectories);
        Assert.NotEmpty(scripts);
        var gzipped = scripts.Sum(file => BuiltWebClient.GzipBytes(File.ReadAllBytes(file)));
        Assert.True(gzipped < JavaScriptGzipBudget, $"The web client's JavaScript is {gzipped} bytes gzipped; the budget is {JavaScriptGzipBudget}.");

        var manifestFile = Path.Combine(dist, "manifest.json");
        Assert.True(File.Exists(manifestFile), "web/dist/manifest.json is missing.");
        var files = JsonNode.Parse(File.ReadAllText(manifestFile))!["files"]!.AsArray();
        Assert.NotEmpty(files);
        foreach (var entry in files)
        {
            var file = BuiltWebClient.FileFor(dist, entry!["path"]!.GetValue<string>());
            Assert.True(File.Exists(file), $"manifest.json lists {file}, which does not exist.");
            Assert.Equal(new FileInfo(file).Length, entry["bytes"]!.GetValue<long>());
        }

        foreach (var script in scripts)
        {
            Assert.Contains(files, entry => BuiltWebClient.FileFor(dist, entry!["path"]!.GetValue<string>()) == Path.GetFullPath(script));
        }
    }

    [Theory]
    [InlineData("desktop")]
    [InlineData("phone")]
    public async Task The_built_client_loads_under_the_servers_policy_without_a_violation_or_an_error(string viewport)
    {
        var dist = BuiltWebClient.Directory;
        await using var server = await ServerProcess.StartAsync(null, new Dictionary<string, string?> { ["POLYDEV_WEB__ROOT"] = dist });
        await using var session = await browser.NewSessionAsync(server.Url, viewport == "phone" ? BrowserViewport.Phone : BrowserViewport.Desktop);

        await session.Page.GotoAsync("/");
        // Signed out, the client shows one of its pages (sign-in or sign-up), each marked with data-page.
        await session.Page.Locator("[data-page]").First.WaitForAsync();

        Assert.Empty(session.Log.CspViolations);
        Assert.Empty(session.Log.PageErrors);
        Assert.Empty(session.Log.ConsoleErrors);
    }

    private static void AssertIntegrity(string dist, BuiltWebClient.Tag tag, string? url)
    {
        Assert.False(string.IsNullOrEmpty(url), $"a <{tag.Name}> without a file to load");
        var integrity = tag["integrity"];
        Assert.False(string.IsNullOrEmpty(integrity), $"<{tag.Name}> {url} has no integrity attribute.");
        Assert.Equal("anonymous", tag["crossorigin"] is "" ? "anonymous" : tag["crossorigin"]);
        var file = BuiltWebClient.FileFor(dist, url);
        Assert.True(File.Exists(file), $"{url} is referenced by index.html but not in web/dist.");
        Assert.Equal(BuiltWebClient.Integrity(File.ReadAllBytes(file)), integrity);
    }
}
