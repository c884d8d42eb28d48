using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Web;
using Polydev.Testing.SignIn;

namespace Polydev.EndToEnd.Tests.Login;

/// <summary>
/// Connecting an OpenAI (ChatGPT) account end to end: the real Codex CLI's <c>codex login</c> in a login sandbox, its
/// browser the sandbox's Chromium streamed to the web viewer, where the test clicks the double's consent page through
/// the stream; the credential reaches the terminal sealed, the vault holds it, and runs use it against the ChatGPT
/// backend (the job names no base URL, so Codex's built-in provider goes to chatgpt.com through the egress) — refreshing
/// and rotating at every run, which only the write-back keeps working.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ConnectCodexTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>
    /// Runs after the sign-in: the third starts from a file the second wrote back from the first's, which is the chain
    /// a rotating refresh token needs; more runs add minutes to the suite and no case.
    /// </summary>
    private const int Runs = 3;

    private const string Authorize = "/oauth/authorize";

    /// <summary>
    /// Codex 0.171.0 refreshes an access token whose <c>exp</c> is five minutes away or less (measured against the real
    /// binary: a 303 s token was refreshed once 3 s after issue, a 315 s one was not; a token issued with less than this
    /// makes it refresh in a loop, since every new token is stale at once).
    /// </summary>
    private static readonly TimeSpan CodexRefreshMargin = TimeSpan.FromMinutes(5);

    /// <summary>How long after a refresh Codex sees its new token as stale: each run waits this out, then refreshes.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Codex_signs_in_with_ChatGPT_in_the_streamed_browser_and_the_stored_credential_answers_runs_while_tokens_rotate()
    {
        var stub = new CodexSignInStub();
        // The double's tokens live the margin plus 10 s: stale for Codex 10 s after they were issued, still valid here,
        // so every run below refreshes first and no model call is refused; the double retires each refresh token it redeems.
        stub.Tokens.AccessLifetime = CodexRefreshMargin + StaleAfter;
        await using var h = await ConnectHarness.StartAsync(stub, "openai", browser);

        var (transcript, checkSandboxGone) = await h.ConnectFromTerminalAsync("openai", Authorize);
        Assert.Contains($"Connected OpenAI account {stub.Email}", transcript);
        await h.Session.ScreenshotAsync("connect-codex-viewer");
        // After the code, the login asked for an API key; the double refused it (an account without an API
        // organization) and the login kept its ChatGPT tokens anyway.
        Assert.Equal(1, stub.ApiKeyExchanges);
        Assert.Equal(0, stub.Tokens.Refreshed);

        // The login sandbox is gone within 5 s of the credential leaving it.
        await checkSandboxGone();

        var listed = (await h.Cli.RunAsync("credentials", "list", "--json")).Succeeded().Json();
        var credential = Assert.Single(listed.EnumerateArray());
        Assert.Equal("oauth", credential.GetProperty("type").GetString());
        Assert.Equal(stub.Email, credential.GetProperty("account").GetString());
        Assert.True(credential.GetProperty("refreshable").GetBoolean());
        Assert.Equal(stub.LastAccessExpiry, credential.GetProperty("expiresAt").GetDateTimeOffset());

        for (var i = 1; i <= Runs; i++)
        {
            // The newest token (the one the vault holds) has gone stale for Codex.
            var stale = stub.LastAccessExpiry - CodexRefreshMargin + TimeSpan.FromSeconds(1);
            if (stale > DateTimeOffset.UtcNow)
            {
                await Task.Delay(stale - DateTimeOffset.UtcNow);
            }

            var refreshedBefore = stub.Tokens.Refreshed;
            var run = await h.Cli.RunAsync(["run", "--provider", "openai", "--ca-file", stub.AuthorityPemPath, "-"], stdin: $"Say hello ({i}).");
            Assert.True(run.ExitCode == 0, $"run {i}: {run.Stdout}\n{run.Stderr}\nstub: {string.Join(", ", stub.Requests.Select(r => r.PathAndQuery))}");
            Assert.Contains(stub.Answer, run.Stdout);
            Assert.True(stub.Tokens.Refreshed > refreshedBefore, $"run {i} did not refresh its token");
            Assert.Contains("refreshed", run.Stderr);
        }

        // Every run refreshed with a live refresh token although each works once: each run started from the file the run
        // before wrote back. (Putting back an older file would not fail a Codex run at once: with its refresh refused
        // as reused, Codex 0.171.0 goes on with the access token it has while the provider still takes it.)
        Assert.Equal(Runs, stub.Answered);
        Assert.True(stub.Tokens.Refreshed >= Runs, $"{stub.Tokens.Refreshed} refreshes");
        Assert.Equal(0, stub.Tokens.RefusedRefreshes);
        Assert.Equal(0, stub.Refused);
        Assert.NotEmpty(stub.ModelBearers);
        Assert.All(stub.ModelBearers, bearer => Assert.True(stub.Tokens.WasIssued(bearer)));
        // No base URL: the built-in provider checked the account and answered on chatgpt.com, reached through the egress.
        Assert.Contains(stub.Requests, r => r is { Method: "GET", PathAndQuery: "chatgpt.com/backend-api/wham/accounts/check" });
        Assert.Contains(stub.Requests, r => r is { Method: "POST", PathAndQuery: "chatgpt.com/backend-api/codex/responses" });

        // The vault holds the last run's rotated file: its expiry is the newest token's.
        listed = (await h.Cli.RunAsync("credentials", "list", "--json")).Succeeded().Json();
        Assert.Equal(stub.LastAccessExpiry, Assert.Single(listed.EnumerateArray()).GetProperty("expiresAt").GetDateTimeOffset());

        // Canary: no token the double issued (id tokens included) is anywhere the server or the engine keeps things.
        await h.AssertNoTraceOfAsync(stub.Tokens.Issued.Concat(stub.IdTokens));
    }
}
