using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Monitoring;
using Polydev.EndToEnd.Tests.Web;
using Polydev.Testing.SignIn;

namespace Polydev.EndToEnd.Tests.Login;

/// <summary>
/// Connecting a Claude account end to end: the real Claude Code's <c>claude auth login</c> in a login sandbox, its
/// browser the sandbox's Chromium streamed to the web viewer, where the test clicks the double's consent page through
/// the stream; the credential reaches the terminal sealed, the vault holds it, and runs use it — rotating tokens
/// included, which only the write-back keeps working.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ConnectClaudeTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>
    /// Runs after the sign-in: the third starts from a file the second wrote back from the first's, which is the chain
    /// a rotating refresh token needs; more runs add minutes to the suite and no case.
    /// </summary>
    private const int Runs = 3;

    private const string Authorize = "/cai/oauth/authorize";

    [Fact]
    public async Task Claude_Code_signs_in_in_the_streamed_browser_and_the_stored_credential_answers_runs_while_tokens_rotate()
    {
        var stub = new ClaudeSignInStub();
        // Claude Code refreshes a token with five minutes or less left: every run below refreshes, and the double
        // retires each refresh token it redeems.
        stub.Tokens.AccessLifetime = TimeSpan.FromMinutes(4);
        await using var h = await ConnectHarness.StartAsync(stub, "anthropic", browser, LiveMonitoring.ServerSettings());
        // Issue 20: Prometheus watches this test's work (a login session, runs through egress, a failed run), and the
        // dashboards are run over it at the end.
        await using var monitoring = await LiveMonitoring.StartAsync(h.Server);

        var (transcript, checkSandboxGone) = await h.ConnectFromTerminalAsync("anthropic", Authorize);
        Assert.Contains($"Connected Anthropic account {stub.Email}", transcript);
        await h.Session.ScreenshotAsync("connect-claude-viewer");

        // The login sandbox is gone within 5 s of the credential leaving it.
        await checkSandboxGone();

        var listed = (await h.Cli.RunAsync("credentials", "list", "--json")).Succeeded().Json();
        var credential = Assert.Single(listed.EnumerateArray());
        Assert.Equal("oauth", credential.GetProperty("type").GetString());
        Assert.Equal(stub.Email, credential.GetProperty("account").GetString());
        Assert.True(credential.GetProperty("refreshable").GetBoolean());

        using var http = new HttpClient { BaseAddress = new Uri(h.Server.Url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", await OwnerRequests.TokenAsync(h.Cli));
        var path = Polydev.Contracts.ApiRoutes.Credential(credential.GetProperty("id").GetGuid());
        JsonNode? beforeLastRun = null;
        for (var i = 1; i <= Runs; i++)
        {
            beforeLastRun = JsonNode.Parse(await http.GetStringAsync(path));
            var run = await h.Cli.RunAsync(["run", "--provider", "anthropic", "--ca-file", stub.AuthorityPemPath, "-"], stdin: $"Say hello ({i}).");
            Assert.True(run.ExitCode == 0, $"run {i}: {run.Stdout}\n{run.Stderr}\nstub: {string.Join(", ", stub.Requests.Select(r => r.PathAndQuery))}");
            Assert.Contains(stub.Answer, run.Stdout);
            Assert.Contains("refreshed", run.Stderr);
        }

        // At least one refresh a run (a run whose new token still has under five minutes may refresh again), and every
        // refresh presented a live refresh token: each run started from the one the run before wrote back.
        Assert.True(stub.Tokens.Refreshed >= Runs, $"refreshed {stub.Tokens.Refreshed} times");
        Assert.Equal(0, stub.Tokens.RefusedRefreshes);
        Assert.All(stub.ModelBearers, bearer => Assert.True(stub.Tokens.WasIssued(bearer)));

        // Without the write-back the next run fails: the vault put back as it was before the last run holds a refresh
        // token the double has retired. Its access token has minutes left, and Claude Code uses one whose refresh is
        // refused, so the double first lets the access tokens run out, as the next run after a break would find them.
        var current = JsonNode.Parse(await http.GetStringAsync(path))!;
        var restore = await http.PutAsJsonAsync(path, new JsonObject { ["secret"] = beforeLastRun!["secret"]!.DeepClone(), ["revision"] = current["revision"]!.GetValue<long>() });
        Assert.True(restore.IsSuccessStatusCode, await restore.Content.ReadAsStringAsync());
        stub.Tokens.ExpireAccessTokens();
        var stale = await h.Cli.RunAsync(["run", "--provider", "anthropic", "--ca-file", stub.AuthorityPemPath, "-"], stdin: "Say hello (stale).");
        Assert.True(stale.ExitCode != 0, $"the stale run succeeded: {stale.Stderr}\nstub: {string.Join(", ", stub.Requests.Select(r => r.PathAndQuery))}");
        Assert.DoesNotContain(stub.Answer, stale.Stdout);
        Assert.True(stub.Tokens.RefusedRefreshes >= 1, $"refused refreshes: {stub.Tokens.RefusedRefreshes}; {stale.Stderr}");

        // The same work as an operator sees it: every panel of the overview and host dashboards has data (drawn, in the
        // browser the sign-in used, as docs/screenshots/dashboard-*.png), and the server's series pass Prometheus's own lint.
        await monitoring.AssertDashboardsShowDataAsync(h.Session, "polydev-overview", "polydev-host");
        await monitoring.AssertMetricsFollowConventionsAsync();

        // Canary: no token the double issued is anywhere the server or the engine keeps things (this stops the server).
        await h.AssertNoTraceOfAsync(stub.Tokens.Issued);
    }

    [Fact]
    public async Task Connect_account_on_the_web_providers_page_stores_the_account_in_the_vault_and_names_it()
    {
        await using var h = await ConnectHarness.StartAsync(new ClaudeSignInStub(), "anthropic", browser);
        var web = new WebClient(h.Session.Page);
        await web.GoToAsync("Providers", "providers");
        await h.Session.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Connect Anthropic account" }).ClickAsync();
        await h.Session.Page.Locator(".viewer-status[data-state=streaming]").WaitForAsync(new() { Timeout = 90_000 });
        await h.ConsentAsync(Authorize);

        var viewer = h.Session.Page.Locator(".viewer[data-state=connected]");
        await viewer.WaitForAsync(new() { Timeout = 90_000 });
        Assert.Equal(h.Stub.Email, await viewer.GetAttributeAsync("data-account"));
        Assert.Contains(h.Stub.Email, await h.Session.Page.Locator(".viewer-ending").TextContentAsync());
        await h.Session.ScreenshotAsync("connect-claude-web");

        // The terminal of the same user finds it in the vault and runs with it.
        var listed = (await h.Cli.RunAsync("credentials", "list", "--json")).Succeeded().Json();
        var credential = Assert.Single(listed.EnumerateArray());
        Assert.Equal(await viewer.GetAttributeAsync("data-credential"), credential.GetProperty("id").GetString());
        Assert.Equal(h.Stub.Email, credential.GetProperty("account").GetString());
        var run = await h.Cli.RunAsync(["run", "--provider", "anthropic", "--ca-file", h.Stub.AuthorityPemPath, "-"], stdin: "Say hello.");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains(h.Stub.Answer, run.Stdout);

        // The providers page shows the account.
        await web.GoToAsync("Providers", "providers");
        await Microsoft.Playwright.Assertions.Expect(h.Session.Page.Locator("section.provider[data-provider=anthropic]")).ToContainTextAsync(h.Stub.Email);
    }

    [Fact]
    public async Task A_second_session_a_viewer_closed_mid_flow_and_a_sign_in_that_runs_out_of_time_each_say_why_and_store_nothing()
    {
        await using var h = await ConnectHarness.StartAsync(new ClaudeSignInStub(), "anthropic", browser,
            new Dictionary<string, string?> { ["POLYDEV_LOGIN__SESSIONS__TIMELIMIT"] = "00:00:30" });

        // The user closes the viewer mid-flow (the consent page is up): the terminal says so, nothing is stored.
        var first = await h.StartLoginAsync("anthropic");
        await h.OpenViewerAsync(first.ViewerLink(h.Server.Url)!);

        // Meanwhile a second login for the same user is refused, naming the live one.
        var second = await h.StartLoginAsync("anthropic").ContinueWith(t => t.Exception?.InnerException?.Message ?? "started", TaskScheduler.Default);
        Assert.Contains("already have a live login session", second);

        await h.ConsentAsync(Authorize, click: false);
        await h.Session.Page.Locator("[data-action=end]").ClickAsync();
        var (code, transcript) = await first.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Contains("was not connected: the login session ended: you ended it.", transcript);

        // A sign-in nobody completes ends at the session's time limit.
        var third = await h.StartLoginAsync("anthropic");
        await h.OpenViewerAsync(third.ViewerLink(h.Server.Url)!);
        (code, transcript) = await third.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(1, code);
        Assert.Contains("time limit", transcript);

        Assert.Equal("[]", (await h.Cli.RunAsync("credentials", "list", "--json")).Succeeded().Stdout.Trim());
        Assert.Empty(h.Stub.Tokens.Issued);
        // No session's sandbox is left: only the pool's one warm sandbox runs.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True((await h.LoginSandboxesAsync()).Count <= 1);
    }
}
