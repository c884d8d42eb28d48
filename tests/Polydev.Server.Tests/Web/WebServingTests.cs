using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.Server.Tests.Web;

/// <summary>The server serving the built web client (docs/web.md): headers, caching, compression, misses.</summary>
public sealed class WebServingTests
{
    private const string Csp =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

    private const string Immutable = "public, max-age=31536000, immutable";

    [Fact]
    public async Task Root_and_app_paths_answer_the_page_with_its_security_policy_and_no_cache()
    {
        using var site = FixtureSite(out _, out _);
        await using var server = await StartAsync(site.Root);
        var index = await File.ReadAllTextAsync(Path.Combine(site.Root, "index.html"));

        foreach (var path in new[] { "/", "/chats", "/chats/4f2c7a9e-0000-4000-8000-000000000001", "/settings?tab=password" })
        {
            using var response = await server.Client.SendAsync(Navigate(path));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(index, await response.Content.ReadAsStringAsync());
            Assert.Equal(Csp, Single(response, "Content-Security-Policy"));
            Assert.Equal("no-cache", Single(response, "Cache-Control"));
            Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
            Assert.Equal("no-referrer", Single(response, "Referrer-Policy"));
            Assert.Equal("same-origin", Single(response, "Cross-Origin-Opener-Policy"));
            Assert.Equal("same-origin", Single(response, "Cross-Origin-Resource-Policy"));
            Assert.Equal("DENY", Single(response, "X-Frame-Options"));
            var permissions = Single(response, "Permissions-Policy");
            foreach (var feature in new[] { "camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()" })
            {
                Assert.Contains(feature, permissions);
            }

            Assert.NotNull(response.Headers.ETag);
        }
    }

    [Fact]
    public async Task The_page_revalidates_with_its_etag()
    {
        using var site = FixtureSite(out _, out _);
        await using var server = await StartAsync(site.Root);
        using var first = await server.Client.SendAsync(Navigate("/"));
        var request = Navigate("/chats");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var again = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal("no-cache", Single(again, "Cache-Control"));

        // A rebuild changes index.html; the next revalidation gets the new page, no restart needed.
        await Task.Delay(20);
        File.AppendAllText(Path.Combine(site.Root, "index.html"), "<!-- rebuilt -->");
        var afterRebuild = Navigate("/");
        afterRebuild.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var rebuilt = await server.Client.SendAsync(afterRebuild);
        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        Assert.EndsWith("<!-- rebuilt -->", await rebuilt.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Assets_are_cached_for_a_year_as_immutable_with_their_content_type_and_etag()
    {
        using var site = FixtureSite(out var script, out var style);
        await using var server = await StartAsync(site.Root);

        using var js = await server.Client.GetAsync(script);
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Equal("text/javascript", js.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Immutable, Single(js, "Cache-Control"));
        Assert.Equal("same-origin", Single(js, "Cross-Origin-Resource-Policy"));
        Assert.Equal("nosniff", Single(js, "X-Content-Type-Options"));
        Assert.Equal(site.ReadAsset(script), await js.Content.ReadAsByteArrayAsync());
        Assert.NotNull(js.Headers.ETag);

        using var css = await server.Client.GetAsync(style);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Immutable, Single(css, "Cache-Control"));

        var conditional = new HttpRequestMessage(HttpMethod.Get, script);
        conditional.Headers.IfNoneMatch.Add(js.Headers.ETag!);
        using var notModified = await server.Client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(Immutable, Single(notModified, "Cache-Control"));
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task Scripts_stylesheets_and_the_page_are_compressed_for_clients_that_accept_it(string encoding)
    {
        using var site = FixtureSite(out var script, out var style);
        await using var server = await StartAsync(site.Root);

        foreach (var (path, original) in new[]
        {
            (script, site.ReadAsset(script)),
            (style, site.ReadAsset(style)),
            ("/", File.ReadAllBytes(Path.Combine(site.Root, "index.html"))),
        })
        {
            var request = path == "/" ? Navigate(path) : new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
            Assert.Contains("Accept-Encoding", response.Headers.Vary);
            var compressed = await response.Content.ReadAsByteArrayAsync();
            Assert.True(compressed.Length < original.Length, $"{path}: {compressed.Length} bytes compressed, {original.Length} plain");
            Assert.Equal(original, Decompress(encoding, compressed));
        }
    }

    [Fact]
    public async Task Api_responses_stay_uncompressed_and_never_cached_next_to_the_web_client()
    {
        using var site = FixtureSite(out _, out _);
        await using var server = await StartAsync(site.Root);

        var request = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Prelogin)
        {
            Content = JsonContent(new PreloginRequest("someone@example.com")),
        };
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var prelogin = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, prelogin.StatusCode);
        Assert.Empty(prelogin.Content.Headers.ContentEncoding);
        Assert.True(prelogin.Headers.CacheControl?.NoStore);
        Assert.False(prelogin.Headers.Contains("Content-Security-Policy"));

        // A browser asking for a server path gets that path's answer, never the page.
        using var missingApi = await server.Client.SendAsync(Navigate("/api/nothing-here"));
        Assert.Equal(HttpStatusCode.NotFound, missingApi.StatusCode);
        Assert.Equal("application/problem+json", missingApi.Content.Headers.ContentType?.MediaType);
        Assert.True(missingApi.Headers.CacheControl?.NoStore);

        using var wrongMethod = await server.Client.SendAsync(Navigate(ApiRoutes.Login));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);

        using var health = await server.Client.SendAsync(Navigate("/health/live"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(health.Headers.CacheControl?.NoStore);

        // /docs is the server's even when it serves nothing there (the default): never the client's page.
        using var docs = await server.Client.SendAsync(Navigate("/docs/index.html"));
        Assert.Equal(HttpStatusCode.NotFound, docs.StatusCode);
        Assert.Equal("application/problem+json", docs.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_assets_and_non_browser_requests_are_404_problems_that_are_not_cached()
    {
        using var site = FixtureSite(out var script, out _);
        await using var server = await StartAsync(site.Root);

        File.WriteAllText(Path.Combine(site.Root, "assets", ".hidden"), "not served");
        foreach (var path in new[] { "/assets/app-00000000.js", "/assets/", "/assets/%2e%2e/index.html", "/assets/.hidden" })
        {
            using var missing = await server.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
            Assert.True(missing.Headers.CacheControl?.NoStore, path);
        }

        // Only a navigation (Accept: text/html) gets the page; a script asking for an app path gets a 404.
        using var json = new HttpRequestMessage(HttpMethod.Get, "/chats");
        json.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var notPage = await server.Client.SendAsync(json);
        Assert.Equal(HttpStatusCode.NotFound, notPage.StatusCode);

        using var post = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("x") };
        post.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.SendAsync(post)).StatusCode);

        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Matches("polydev_web_requests_total\\{kind=\"missing\"\\} [1-9]", metrics);
        using var asset = await server.Client.GetAsync(script);
        using var page = await server.Client.SendAsync(Navigate("/"));
        metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Matches("polydev_web_requests_total\\{kind=\"asset\"\\} [1-9]", metrics);
        Assert.Matches("polydev_web_requests_total\\{kind=\"page\"\\} [1-9]", metrics);
        Assert.DoesNotContain("/assets/", metrics);
    }

    [Fact]
    public async Task Without_a_built_client_the_api_runs_and_the_page_is_a_404_that_says_how_to_build_it()
    {
        var root = Path.Combine(Path.GetTempPath(), "polydev-no-web-" + Guid.NewGuid().ToString("N"));
        await using var server = await StartAsync(root);

        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/ready")).StatusCode);
        using var page = await server.Client.SendAsync(Navigate("/"));
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("application/problem+json", page.Content.Headers.ContentType?.MediaType);
        var detail = JsonNode.Parse(await page.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        Assert.Contains("npm run build:app", detail);
        Assert.Contains("Web:Root", detail);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/assets/app-00000000.js")).StatusCode);

        var warnings = server.Logs.Text.Split('\n').Where(line => line.Contains("web_client_not_built")).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains(root, warning);
        Assert.Contains("\"level\":\"Warning\"", warning, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_root_without_index_html_is_reported_the_same_way()
    {
        using var site = WebFixtureSite.Create();
        await using var server = await StartAsync(site.Root);
        using var page = await server.Client.SendAsync(Navigate("/"));
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("npm run build:app", await page.Content.ReadAsStringAsync());
    }

    private static WebFixtureSite FixtureSite(out string script, out string style)
    {
        var site = WebFixtureSite.Create();
        // Big and repetitive enough that compression is worth it.
        script = site.AddAsset("main", "js", string.Concat(Enumerable.Repeat("document.documentElement.dataset.polydev = 'loaded';\n", 100)));
        style = site.AddAsset("main", "css", string.Concat(Enumerable.Repeat("body { margin: 0; font: 16px system-ui; }\n", 100)));
        site.WriteIndex(site.PageHtml(script, style, "<main id=\"app\"></main>" + new string(' ', 2000)));
        return site;
    }

    private static Task<RunningServer> StartAsync(string webRoot) =>
        RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?> { ["Web:Root"] = webRoot });

    /// <summary>What a browser sends when it navigates to <paramref name="path"/>.</summary>
    private static HttpRequestMessage Navigate(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        return request;
    }

    /// <summary>The header's one value as sent (not re-serialized by HttpClient's parser).</summary>
    private static string Single(HttpResponseMessage response, string header) =>
        Assert.Single(response.Headers.NonValidated.TryGetValues(header, out var values) ? values
            : response.Content.Headers.NonValidated.TryGetValues(header, out var contentValues) ? contentValues : default(HeaderStringValues));

    private static byte[] Decompress(string encoding, byte[] compressed)
    {
        using var input = new MemoryStream(compressed);
        using Stream decoder = encoding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    private static StringContent JsonContent<T>(T body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body, PolydevJson.Options), Encoding.UTF8, "application/json");
}
