using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace Polydev.Bench;

/// <summary>
/// The web client in Debian's chromium against the real server (in-process, warm Claude Code sandboxes on the local
/// Docker engine, the Anthropic stub): (1) unlock at the default KDF cost, against the same derivations in .NET;
/// (2) Send → the first character of the answer on screen, against the same run through <c>polydev run</c> (process
/// start → first character on stdout), the two taking turns with the pool full and idle before each; (3) the bundle.
/// </summary>
internal static class WebBenchmark
{
    private const string Prompt = "Say hello.";
    private const string Password = "bench password, long enough";
    private const int WarmTarget = 2;

    public sealed record Settings(int Runs, int Unlocks);

    public static async Task RunAsync(Settings settings)
    {
        var dist = Path.Combine(Repository.Root, "web", "dist");
        var manifestPath = Path.Combine(dist, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            throw new InvalidOperationException($"{manifestPath} is missing: scripts/bench --only web builds the web client first.");
        }

        Bundle(manifestPath);
        Console.WriteLine();

        await using var host = await ExecutionHost.StartAsync(
            "web", 40, WarmTarget, WarmTarget + 2, 4, moreSettings: new Dictionary<string, string?> { ["Web:Root"] = dist });
        var url = host.Http.BaseAddress!.ToString().TrimEnd('/');
        using var cli = new PolydevCli(url);
        var email = $"web-bench-{Guid.NewGuid():N}@example.test";
        await cli.SignUpAsync(email, Password);
        await cli.RunAsync(["credentials", "add", "anthropic", "--base-url", host.Stub.BaseUrl.ToString().TrimEnd('/'), "--ca-file", host.Stub.AuthorityPemPath], "sk-ant-web-bench");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("POLYDEV_CHROMIUM") is { Length: > 0 } chromium ? chromium : "/usr/bin/chromium",
            Headless = true,
            ChromiumSandbox = Environment.UserName != "root",
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url });
        context.SetDefaultTimeout(120_000);
        var page = await context.NewPageAsync();
        await SignInAsync(page, email);

        await UnlockAsync(page, settings.Unlocks);
        Console.WriteLine();
        await SendToFirstCharacterAsync(host, page, cli, settings.Runs);
    }

    private static void Bundle(string manifestPath)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var files = manifest.RootElement.GetProperty("files").EnumerateArray()
            .Select(f => (Path: f.GetProperty("path").GetString()!, Bytes: f.GetProperty("bytes").GetInt64(), Gzip: f.GetProperty("gzipBytes").GetInt64()))
            .ToList();
        var js = files.Where(f => f.Path.EndsWith(".js", StringComparison.Ordinal)).ToList();
        Console.WriteLine("web client bundle (web/dist/manifest.json)");
        Console.WriteLine();
        Console.WriteLine("| file | bytes | gzip bytes |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (var file in files)
        {
            Console.WriteLine(Invariant($"| {file.Path} | {file.Bytes} | {file.Gzip} |"));
        }

        var jsGzip = js.Sum(f => f.Gzip);
        Console.WriteLine(Invariant($"| all JavaScript | {js.Sum(f => f.Bytes)} | {jsGzip} |"));
        Console.WriteLine();
        Console.WriteLine(Invariant($"JavaScript gzip {jsGzip / 1024.0:0.0} KiB of the 150 KiB budget ({jsGzip / (150.0 * 1024):0.00} of it)."));
    }

    private static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("[data-page=chats]").WaitForAsync();
    }

    /// <summary>Lock, then unlock: GET /api/account, PBKDF2 at 600,000 iterations, HKDF, two envelopes, PKCS#8 import.</summary>
    private static async Task UnlockAsync(IPage page, int unlocks)
    {
        var browser = new Latencies("browser unlock (chromium, Web Crypto)");
        for (var i = -1; i < unlocks; i++)
        {
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Button, new() { Name = "Lock" }).ClickAsync();
            await page.Locator("[data-page=locked]").WaitForAsync();
            await page.GetByLabel("Password").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
            await page.Locator("[data-page=chats]").WaitForAsync();
            var milliseconds = await page.EvaluateAsync<double>(
                "() => performance.getEntriesByName('polydev:unlock-end').at(-1).startTime - performance.getEntriesByName('polydev:unlock-start').at(-1).startTime");
            if (i >= 0)
            {
                browser.Add(milliseconds);
            }
        }

        var dotnet = ClientBenchmark.Unlock(unlocks);
        Console.WriteLine($"unlock at the default KDF cost, {unlocks} each");
        Console.WriteLine();
        Console.WriteLine("| client | runs | p50 ms | p99 ms | vs .NET (p50) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        Console.WriteLine(Invariant($"| {dotnet.Name} (.NET, baseline) | {dotnet.Count} | {dotnet.Percentile(50):0.0} | {dotnet.Percentile(99):0.0} | 1.00 |"));
        Console.WriteLine(Invariant($"| {browser.Name}, incl. GET /api/account | {browser.Count} | {browser.Percentile(50):0.0} | {browser.Percentile(99):0.0} | {browser.Percentile(50) / dotnet.Percentile(50):0.00} |"));
    }

    private static async Task SendToFirstCharacterAsync(ExecutionHost host, IPage page, PolydevCli cli, int runs)
    {
        await page.GetByLabel("Title of the new chat").FillAsync("bench");
        await page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await page.Locator("[data-page=run]").WaitForAsync();

        var browser = new Latencies("web client: Send → first character shown");
        var terminal = new Latencies("polydev run: process start → first character on stdout");
        var fill = TimeSpan.FromMinutes(5);
        for (var i = -1; i < runs; i++)
        {
            await host.WaitForQuietPoolAsync(WarmTarget, fill);
            var shown = await SendInPageAsync(page);
            await host.WaitForQuietPoolAsync(WarmTarget, fill);
            var printed = await cli.TimeToFirstCharacterAsync(["run", "--provider", "anthropic", Prompt]);
            if (i >= 0)
            {
                browser.Add(shown);
                terminal.Add(printed);
            }
        }

        Console.WriteLine($"send → first character of the answer, warm pool (target {WarmTarget}), {runs} runs each, taking turns");
        Console.WriteLine();
        Console.WriteLine("| client | runs | p50 ms | p99 ms | vs polydev run (p50) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        Console.WriteLine(Invariant($"| {terminal.Name} (baseline) | {terminal.Count} | {terminal.Percentile(50):0.0} | {terminal.Percentile(99):0.0} | 1.00 |"));
        Console.WriteLine(Invariant($"| {browser.Name} | {browser.Count} | {browser.Percentile(50):0.0} | {browser.Percentile(99):0.0} | {browser.Percentile(50) / terminal.Percentile(50):0.00} |"));
    }

    /// <summary>One send to Claude; the page's own marks give the time (polydev:send:N → polydev:first-output:anthropic).</summary>
    private static async Task<double> SendInPageAsync(IPage page)
    {
        var composer = page.GetByRole(AriaRole.Form, new() { Name = "New message" });
        var sends = await page.EvaluateAsync<int>("() => performance.getEntriesByType('mark').filter(m => m.name.startsWith('polydev:send:')).length");
        await composer.GetByLabel("Prompt").FillAsync(Prompt);
        await composer.GetByLabel("Claude", new() { Exact = true }).SetCheckedAsync(true);
        await page.EvaluateAsync("() => document.querySelectorAll('article.answer').forEach(a => a.dataset.earlier = '')");
        await composer.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await page.WaitForFunctionAsync(
            "n => performance.getEntriesByName('polydev:first-output:anthropic').length > n", sends, new() { Timeout = 120_000 });
        var milliseconds = await page.EvaluateAsync<double>(
            "() => { const send = performance.getEntriesByType('mark').filter(m => m.name.startsWith('polydev:send:')).at(-1); " +
            "return performance.getEntriesByName('polydev:first-output:anthropic').at(-1).startTime - send.startTime; }");
        var answer = page.Locator("article.answer[data-provider=anthropic]:not([data-earlier])");
        await page.Locator("article.answer[data-provider=anthropic]:not([data-earlier]):is([data-status=done],[data-status=failed],[data-status=cancelled])")
            .WaitForAsync(new() { Timeout = 120_000 });
        if (await answer.GetAttributeAsync("data-status") is var status && status != "done")
        {
            throw new InvalidOperationException($"the web client's run ended '{status}': {await answer.InnerTextAsync()}");
        }

        // Saving the exchange is part of the page's run; let it finish before the next one.
        await page.Locator("form[aria-label='New message'] textarea:not([disabled])").WaitForAsync();
        return milliseconds;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
