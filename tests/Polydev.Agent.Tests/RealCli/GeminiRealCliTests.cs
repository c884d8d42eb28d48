using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Polydev.Testing;
using Polydev.Testing.ProviderStubs;

namespace Polydev.Agent.Tests.RealCli;

/// <summary>
/// The pinned Gemini CLI, run by the real agent process against <see cref="GeminiStub"/> on loopback, with its
/// traffic through a local Squid standing in for the egress proxy: what the agent sets up (base URL, CA bundle,
/// proxy, settings.json, flags) must be enough for a headless prompt, and the credential must reach the API only.
/// </summary>
public sealed class GeminiRealCliTests
{
    [Fact]
    public async Task An_api_key_job_reaches_the_stub_through_the_proxy_with_exactly_the_key_and_streams_the_answer()
    {
        await using var stub = new GeminiStub { Answer = "Hi from the Gemini stub, " + AgentHarness.Secret("answer") };
        await stub.StartAsync();
        await using SquidProxy proxy = await SquidProxy.StartAsync();
        string key = AgentHarness.Secret("AIza-canary");

        // No model: the CLI's router first asks a small model (generateContent, JSON) which model to use.
        var (result, events) = await RunAsync(stub, proxy, "api_key", key, model: null);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.NotEmpty(stub.ReceivedCredentials);
        Assert.All(stub.ReceivedCredentials, credential => Assert.Equal(key, credential));
        Assert.Contains(stub.Requests, r => r.Method == "POST" && r.PathAndQuery.EndsWith(":streamGenerateContent?alt=sse", StringComparison.Ordinal));
        // Once: an answer the router could not parse would be retried with backoff.
        Assert.Single(stub.Requests, r => r.PathAndQuery.EndsWith(":generateContent", StringComparison.Ordinal));
        Assert.All(stub.Requests, r => Assert.StartsWith("/v1beta/models/", r.PathAndQuery, StringComparison.Ordinal));
        await proxy.WaitForAccessLogAsync(line => line.Contains("method=CONNECT", StringComparison.Ordinal) && line.Contains($"url=localhost:{stub.Port} ", StringComparison.Ordinal));
        Assert.DoesNotContain("googleapis.com", proxy.AccessLog, StringComparison.Ordinal);

        Assert.Equal("start", events[0]["type"]!.GetValue<string>());
        Assert.Equal(stub.Answer, string.Concat(events.Where(e => Type(e) == "text").Select(e => e["text"]!.GetValue<string>())));
        JsonObject turn = Assert.Single(events, e => Type(e) == "result");
        Assert.False(turn["isError"]!.GetValue<bool>());
        Assert.True(turn["usage"]!["inputTokens"]!.GetValue<long>() > 0);
        Assert.True(turn["usage"]!["outputTokens"]!.GetValue<long>() > 0);
        Assert.Equal("exit", Type(events[^1]));
        Assert.Equal("ok", events[^1]["reason"]!.GetValue<string>());
        Assert.Equal(0, events[^1]["exitCode"]!.GetValue<int>());
        AssertNowhere(key, result, events);
    }

    [Fact]
    public async Task A_rejected_key_ends_in_a_classified_failure_without_the_key_in_any_error()
    {
        // 401 rather than 500: the CLI retries a 5xx with backoff for minutes, but gives up on a 401 at once.
        await using var stub = new GeminiStub { FailWithStatus = 401 };
        await stub.StartAsync();
        await using SquidProxy proxy = await SquidProxy.StartAsync();
        string key = AgentHarness.Secret("AIza-canary");

        var (result, events) = await RunAsync(stub, proxy, "api_key", key, model: "gemini-2.5-flash");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.All(stub.ReceivedCredentials, credential => Assert.Equal(key, credential));
        Assert.Contains(events, e => Type(e) == "error" && e["source"]!.GetValue<string>() == "cli" && e["message"]!.GetValue<string>().Contains("401", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => Type(e) == "text");
        // The CLI exits with the HTTP status (401 & 0xFF = 145) unless the agent, ending the job on the 401 it saw
        // (issue 14), killed it first; either way the exit says what to do about it.
        Assert.Equal("cli_error", events[^1]["reason"]!.GetValue<string>());
        Assert.Contains(events[^1]["exitCode"]!.GetValue<int>(), (int[])[145, 137]);
        Assert.Equal("credential_rejected", events[^1]["failure"]!["kind"]!.GetValue<string>());
        AssertNowhere(key, result, events);
    }

    [Fact]
    public async Task A_google_login_credential_file_is_checked_with_google_not_the_base_url_so_it_cannot_use_the_stub()
    {
        // The login's token is verified at oauth2.googleapis.com (tokeninfo), a host no setting moves; without
        // internet the proxy refuses it and the CLI ends as a headless login failure. The stub must see nothing.
        await using var stub = new GeminiStub();
        await stub.StartAsync();
        await using SquidProxy proxy = await SquidProxy.StartAsync();
        string token = AgentHarness.Secret("ya29.canary");
        string credentialFile = GoogleLoginCredential.File(token);

        var (result, events) = await RunAsync(stub, proxy, "credential_file", credentialFile, model: "gemini-2.5-flash");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Empty(stub.Requests);
        await proxy.WaitForAccessLogAsync(line => line.Contains("method=CONNECT url=oauth2.googleapis.com:443", StringComparison.Ordinal));
        Assert.Equal("cli_error", events[^1]["reason"]!.GetValue<string>());
        Assert.Equal(41, events[^1]["exitCode"]!.GetValue<int>());
        AssertNowhere(token, result, events);
    }

    private static async Task<(AgentResult Result, List<JsonObject> Events)> RunAsync(
        GeminiStub stub, SquidProxy proxy, string credentialType, string credential, string? model)
    {
        using var sandbox = new AgentHarness();
        sandbox.Environment["POLYDEV_AGENT_GEMINI"] = PinnedClis.Executable("google");
        // The CLI's script runs on "node" from PATH: the pinned Node first (the host's may be older).
        sandbox.Environment["PATH"] = PinnedClis.NodeDirectory + ":" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");

        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        JsonObject job = AgentHarness.Job("google", credentialType, credential, "Say hi", outputKey,
            proxyUrl: proxy.Address.GetLeftPart(UriPartial.Authority), timeLimitSeconds: 50, model: model, caBundle: stub.AuthorityPem);
        job["baseUrl"] = stub.BaseUrl.GetLeftPart(UriPartial.Authority);
        AgentResult result = await sandbox.RunAsync(job);
        return (result, await AgentHarness.DecryptAsync(result.Stdout, outputKey));
    }

    private static string? Type(JsonObject e) => e["type"]?.GetValue<string>();

    /// <summary>The secret appears in no event (errors, the CLI's stderr included) and not in the agent's stderr.</summary>
    private static void AssertNowhere(string secret, AgentResult result, List<JsonObject> events)
    {
        Assert.DoesNotContain(secret, result.Stderr, StringComparison.Ordinal);
        Assert.All(events, e => Assert.DoesNotContain(secret, e.ToJsonString(), StringComparison.Ordinal));
    }
}
