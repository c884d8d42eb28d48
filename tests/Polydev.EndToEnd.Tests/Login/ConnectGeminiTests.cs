using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.EndToEnd.Tests.Web;
using Polydev.Testing.SignIn;

namespace Polydev.EndToEnd.Tests.Login;

/// <summary>
/// Connecting a Google account end to end: the real Gemini CLI's "Login with Google" in a login sandbox (it has no login
/// command: a headless run without credentials signs in first, its consent answered on stdin), its browser the
/// sandbox's Chromium streamed to the web viewer, where the test clicks the double's consent page through the stream;
/// the credential reaches the terminal sealed, the vault holds it, and runs use it through Code Assist — refreshing
/// at every run, which the write-back brings home.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ConnectGeminiTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>
    /// Runs after the sign-in: the third starts from a file the second wrote back from the first's, which is the chain
    /// a rotating refresh token needs; more runs add minutes to the suite and no case.
    /// </summary>
    private const int Runs = 3;

    private const string Authorize = "/o/oauth2/v2/auth";

    [Fact]
    public async Task Gemini_CLI_signs_in_with_Google_in_the_streamed_browser_and_the_stored_credential_answers_runs_while_tokens_refresh()
    {
        var stub = new GeminiSignInStub();
        // Gemini CLI refreshes a token with five minutes or less left: every run below refreshes and rewrites its file.
        // Google keeps the refresh token (the stub's constructor says so), so only the access token changes.
        stub.Tokens.AccessLifetime = TimeSpan.FromMinutes(4);
        await using var h = await ConnectHarness.StartAsync(stub, "google", browser);

        var (transcript, checkSandboxGone) = await h.ConnectFromTerminalAsync("google", Authorize);
        Assert.Contains($"Connected Google account {stub.Email}", transcript);
        await h.Session.ScreenshotAsync("connect-gemini-viewer");
        // The login set Code Assist up for the new account (onboarding) but asked the model nothing.
        Assert.True(stub.Onboarded, "The login never onboarded the account to Code Assist.");
        Assert.Equal(0, stub.Answered);

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
            var refreshedBefore = stub.Tokens.Refreshed;
            var run = await h.Cli.RunAsync(["run", "--provider", "google", "--ca-file", stub.AuthorityPemPath, "-"], stdin: $"Say hello ({i}).");
            Assert.True(run.ExitCode == 0, $"run {i}: {run.Stdout}\n{run.Stderr}\nstub: {string.Join(", ", stub.Requests.Select(r => r.PathAndQuery))}");
            Assert.Contains(stub.Answer, run.Stdout);
            Assert.True(stub.Tokens.Refreshed > refreshedBefore, $"run {i} did not refresh its token");
            Assert.Contains("refreshed", run.Stderr);
        }

        // One answer a run, and at least one refresh a run (with under five minutes left every Code Assist call refreshes
        // first); every Code Assist call carried a live token the double issued.
        Assert.Equal(Runs, stub.Answered);
        Assert.True(stub.Tokens.Refreshed >= Runs, $"refreshed {stub.Tokens.Refreshed} times");
        Assert.Equal(0, stub.Tokens.RefusedRefreshes);
        Assert.Equal(0, stub.Refused);
        Assert.NotEmpty(stub.ModelBearers);
        Assert.All(stub.ModelBearers, bearer => Assert.True(stub.Tokens.WasIssued(bearer)));

        // Unlike Anthropic's and OpenAI's, Google's refresh token outlives its use: the vault put back as it was before
        // the last run (its write-back undone) still answers.
        var current = JsonNode.Parse(await http.GetStringAsync(path))!;
        Assert.True(current["revision"]!.GetValue<long>() > beforeLastRun!["revision"]!.GetValue<long>(), "the last run's refreshed credential was not stored");
        var restore = await http.PutAsJsonAsync(path, new JsonObject { ["secret"] = beforeLastRun["secret"]!.DeepClone(), ["revision"] = current["revision"]!.GetValue<long>() });
        Assert.True(restore.IsSuccessStatusCode, await restore.Content.ReadAsStringAsync());
        var earlier = await h.Cli.RunAsync(["run", "--provider", "google", "--ca-file", stub.AuthorityPemPath, "-"], stdin: "Say hello (earlier file).");
        Assert.True(earlier.ExitCode == 0, $"{earlier.Stdout}\n{earlier.Stderr}");
        Assert.Contains(stub.Answer, earlier.Stdout);
        Assert.Equal(0, stub.Tokens.RefusedRefreshes);

        // Canary: no token the double issued is anywhere the server or the engine keeps things.
        await h.AssertNoTraceOfAsync(stub.Tokens.Issued);
    }
}
