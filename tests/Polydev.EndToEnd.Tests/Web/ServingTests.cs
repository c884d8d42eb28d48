using System.Text;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>
/// A real <c>polydev server</c> serving a web client the test writes itself, in Debian's chromium: what the
/// Content-Security-Policy and Subresource Integrity let run, and what they stop (docs/web.md).
/// </summary>
public sealed class ServingTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>Marks on &lt;html&gt; that each script sets when it runs, read back by the test.</summary>
    private const string ExternalScript = """
        const root = document.documentElement;
        root.dataset.external = 'ran';
        try { document.body.innerHTML = '<b>markup</b>'; root.dataset.innerHtml = 'allowed'; } catch { root.dataset.innerHtml = 'blocked'; }
        try { (0, eval)('1'); root.dataset.eval = 'allowed'; } catch { root.dataset.eval = 'blocked'; }
        const done = document.createElement('p');
        done.id = 'external';
        done.textContent = 'external script ran';
        document.body.append(done);
        """;

    [Fact]
    public async Task The_hashed_module_script_runs_while_inline_script_eval_and_html_sinks_are_blocked_and_reported()
    {
        using var site = WebFixtureSite.Create();
        var script = site.AddAsset("main", "js", ExternalScript);
        var style = site.AddAsset("main", "css", "#by-sheet { color: rgb(0, 128, 0); }");
        site.WriteIndex(site.PageHtml(script, style, """
            <p id="by-sheet">styled by the stylesheet</p>
            <p id="by-attribute" style="color: rgb(255, 0, 0)">styled inline</p>
            <script>document.documentElement.dataset.inline = 'ran';</script>
            """));
        await using var server = await StartServerAsync(site.Root);
        await using var session = await browser.NewSessionAsync(server.Url);

        await session.Page.GotoAsync("/");
        await session.Page.Locator("#external").WaitForAsync();

        Assert.Equal("ran", await Mark(session, "external"));
        Assert.Null(await Mark(session, "inline"));
        Assert.Equal("blocked", await Mark(session, "innerHtml"));
        Assert.Equal("blocked", await Mark(session, "eval"));
        Assert.Equal("rgb(0, 128, 0)", await ColorOf(session, "#by-sheet"));
        Assert.NotEqual("rgb(255, 0, 0)", await ColorOf(session, "#by-attribute"));

        var violations = session.Log.CspViolations;
        Assert.Contains(violations, v => v.Directive == "script-src-elem" && v.BlockedUri == "inline");
        // Chromium stops eval at Trusted Types (a string to code) before script-src would (no 'unsafe-eval').
        Assert.Contains(violations, v => v.BlockedUri == "eval" || (v.Directive == "require-trusted-types-for" && v.Sample.StartsWith("eval|", StringComparison.Ordinal)));
        Assert.Contains(violations, v => v.Directive == "require-trusted-types-for" && v.Sample.StartsWith("Element innerHTML|", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Directive == "style-src-attr");
        Assert.Empty(session.Log.PageErrors);
    }

    [Fact]
    public async Task A_script_whose_bytes_do_not_match_its_integrity_is_refused()
    {
        using var site = WebFixtureSite.Create();
        var script = site.AddAsset("main", "js", ExternalScript);
        var style = site.AddAsset("main", "css", "body { margin: 0; }");
        // What the build hashed, and what the server later holds instead (a tampered or half-deployed file).
        var built = Encoding.UTF8.GetBytes("document.documentElement.dataset.tampered = 'no';");
        var tampered = site.AddAsset("extra", "js", "document.documentElement.dataset.tampered = 'ran';");
        site.WriteIndex(site.PageHtml(script, style,
            $"""<script type="module" src="{tampered}" integrity="{WebFixtureSite.Integrity(built)}" crossorigin="anonymous"></script>"""));
        await using var server = await StartServerAsync(site.Root);
        await using var session = await browser.NewSessionAsync(server.Url);

        await session.Page.GotoAsync("/");
        await session.Page.Locator("#external").WaitForAsync();

        Assert.Null(await Mark(session, "tampered"));
        Assert.Contains(session.Log.ConsoleErrors, e => e.Text.Contains("integrity", StringComparison.OrdinalIgnoreCase) && e.Text.Contains(tampered, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_request_log_sees_every_header_and_body_the_page_sends_and_screenshots_are_written()
    {
        using var site = WebFixtureSite.Create();
        var script = site.AddAsset("main", "js", """
            await fetch('/api/auth/prelogin', {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-polydev-probe': 'canary-in-a-header' },
              body: JSON.stringify({ email: 'canary-in-a-body@example.com' }),
            });
            const done = document.createElement('p');
            done.id = 'external';
            done.textContent = 'sent';
            document.body.append(done);
            """);
        var style = site.AddAsset("main", "css", "body { font: 16px sans-serif; }");
        site.WriteIndex(site.PageHtml(script, style, "<h1>Request log</h1>"));
        await using var server = await StartServerAsync(site.Root);
        await using var session = await browser.NewSessionAsync(server.Url, BrowserViewport.Phone);

        await session.Page.GotoAsync("/?q=canary-in-a-url");
        await session.Page.Locator("#external").WaitForAsync();

        var requests = await session.Log.RequestsAsync();
        Assert.Contains(requests, r => r.Method == "GET" && r.Url.EndsWith(script, StringComparison.Ordinal));
        foreach (var canary in new[] { "canary-in-a-header", "canary-in-a-body", "canary-in-a-url" })
        {
            await Assert.ThrowsAnyAsync<Exception>(() => session.Log.AssertNeverSentAsync(canary));
        }

        await session.Log.AssertNeverSentAsync("a-canary-nobody-sent");
        var prelogin = Assert.Single(requests, r => r.Method == "POST");
        Assert.Contains(prelogin.Headers, h => h.Key.Equals("user-agent", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(session.Log.CspViolations);

        var directory = Directory.CreateTempSubdirectory("polydev-screenshots-").FullName;
        try
        {
            var file = await session.ScreenshotAsync("request-log", directory);
            Assert.Equal(Path.Combine(directory, "request-log-phone.png"), file);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(file)[..4]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task<ServerProcess> StartServerAsync(string webRoot) =>
        ServerProcess.StartAsync(null, new Dictionary<string, string?> { ["POLYDEV_WEB__ROOT"] = webRoot });

    private static Task<string?> Mark(BrowserSession session, string name) =>
        session.Page.EvaluateAsync<string?>("name => document.documentElement.dataset[name] ?? null", name);

    private static Task<string> ColorOf(BrowserSession session, string selector) =>
        session.Page.EvaluateAsync<string>("selector => getComputedStyle(document.querySelector(selector)).color", selector);
}
